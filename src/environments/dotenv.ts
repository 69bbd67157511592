/**
 * The .env format environments use, as the product page states it: one `KEY=value`
 * a line, `#` comments and blank lines ignored, and the value kept exactly as
 * written — quotes included, since users are told not to wrap values in them.
 */

export interface DotenvLineError {
  line: number;
  message: string;
}

export interface DotenvResult {
  vars: Record<string, string>;
  errors: DotenvLineError[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses .env text, collecting an error for every bad line rather than the first. */
export function parseDotenv(text: string): DotenvResult {
  const vars: Record<string, string> = {};
  const firstLine = new Map<string, number>();
  const errors: DotenvLineError[] = [];

  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;

    const eq = content.indexOf('=');
    if (eq === -1) {
      errors.push({ line, message: 'expected KEY=value' });
      return;
    }
    const key = content.slice(0, eq).trim();
    const value = content.slice(eq + 1);
    if (!KEY.test(key)) {
      const hint = key.startsWith('export ') ? ' (drop the "export")' : '';
      errors.push({
        line,
        message: `${JSON.stringify(key)} is not a valid name: use letters, digits and _, not starting with a digit${hint}`,
      });
      return;
    }
    if (value.includes('\0')) {
      errors.push({ line, message: `the value of ${key} contains a NUL byte` });
      return;
    }
    const earlier = firstLine.get(key);
    if (earlier !== undefined) {
      errors.push({ line, message: `${key} is already set on line ${earlier}` });
      return;
    }
    firstLine.set(key, line);
    vars[key] = value;
  });

  return { vars, errors };
}
