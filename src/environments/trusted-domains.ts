import { readFileSync } from 'node:fs';
import { formatHostPattern, parseHostPattern } from '../gateway/host-pattern.js';

/** A named group of the default allowlist, e.g. "Version control". */
export interface TrustedGroup {
  name: string;
  patterns: string[];
}

/** The shipped default allowlist for the `trusted` network level. */
export const TRUSTED_DOMAINS_FILE = new URL('../../data/trusted-domains.txt', import.meta.url);

/**
 * Parses the allowlist file format: one pattern a line, `#` comments, `[Group]`
 * headings. A bad pattern throws, naming its line: the shipped list must be valid.
 */
export function parseTrustedDomains(text: string): TrustedGroup[] {
  const groups: TrustedGroup[] = [];
  let current: TrustedGroup | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const heading = /^\[(.+)\]$/.exec(line);
    if (heading?.[1]) {
      current = { name: heading[1], patterns: [] };
      groups.push(current);
      return;
    }
    const result = parseHostPattern(line);
    if (!result.ok)
      throw new Error(`trusted domains, line ${index + 1}: "${line}" ${result.reason}`);
    if (!current) {
      current = { name: 'Other', patterns: [] };
      groups.push(current);
    }
    current.patterns.push(formatHostPattern(result.pattern));
  });
  return groups;
}

export function loadTrustedDomains(file: URL | string = TRUSTED_DOMAINS_FILE): TrustedGroup[] {
  return parseTrustedDomains(readFileSync(file, 'utf8'));
}
