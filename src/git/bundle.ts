import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import { runGit } from './run-git.js';

/**
 * Checks that `file` is a complete git bundle and returns its refs. A bundle that needs
 * commits it does not carry (made with a range) is refused: the server has no
 * repository to take them from. `scratchDir` holds an empty repository, which
 * `git bundle verify` needs to run in.
 */
export async function verifyBundle(
  file: string,
  scratchDir: string,
): Promise<Record<string, string>> {
  const repo = join(scratchDir, 'verify.git');
  if (!existsSync(join(repo, 'HEAD'))) await runGit(['init', '--quiet', '--bare', repo]);

  const verified = await runGit(['bundle', 'verify', file], { cwd: repo });
  if (verified.code !== 0) {
    const reason = firstLine(verified.stderr);
    if (/requires this ref|lacks these prerequisite/i.test(verified.stderr)) {
      throw new ValidationError(
        'the bundle needs commits it does not contain: create it with `git bundle create FILE --all` (or a branch name), not a range',
        'bundle',
      );
    }
    throw new ValidationError(`not a valid git bundle (${reason})`, 'bundle');
  }
  const heads = await runGit(['bundle', 'list-heads', file], { cwd: repo });
  const refs: Record<string, string> = {};
  for (const line of heads.stdout.split('\n')) {
    const [oid, ref] = line.split(' ');
    if (oid && ref && ref !== 'HEAD') refs[ref] = oid;
  }
  if (Object.keys(refs).length === 0)
    throw new ValidationError('the bundle has no branches', 'bundle');
  return refs;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.replace(/^(error|fatal): /, '').trim())
      .find(Boolean) ?? 'git could not read it'
  );
}
