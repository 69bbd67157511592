/** One file of a unified git diff. */
export interface FileDiff {
  /** The path shown for the file: the new path, or the old one for a deletion. */
  path: string;
  oldPath: string;
  newPath: string;
  change: 'added' | 'deleted' | 'renamed' | 'modified';
  binary: boolean;
  additions: number;
  deletions: number;
  /** This file's part of the diff, headers included. */
  text: string;
}

/** Splits `git diff` output into files, counting each file's added and removed lines. */
export function splitDiff(diff: string): FileDiff[] {
  const files: FileDiff[] = [];
  const starts = [...diff.matchAll(/^diff --git /gm)].map((m) => m.index);
  for (const [i, start] of starts.entries()) {
    const text = diff.slice(start, starts[i + 1] ?? diff.length).replace(/\n?$/, '\n');
    files.push(parseFile(text));
  }
  return files;
}

function parseFile(text: string): FileDiff {
  const lines = text.split('\n');
  const header = /^diff --git a\/(.*) b\/(.*)$/.exec(lines[0] ?? '');
  let oldPath = header?.[1] ?? '';
  let newPath = header?.[2] ?? '';
  let change: FileDiff['change'] = 'modified';
  let binary = false;
  let additions = 0;
  let deletions = 0;
  let inHunk = false;
  for (const line of lines.slice(1)) {
    if (inHunk) {
      if (line.startsWith('+')) additions++;
      else if (line.startsWith('-')) deletions++;
      else if (line.startsWith('@@')) continue;
      else if (!line.startsWith(' ') && !line.startsWith('\\')) inHunk = false;
      continue;
    }
    if (line.startsWith('@@')) inHunk = true;
    else if (line.startsWith('new file mode')) change = 'added';
    else if (line.startsWith('deleted file mode')) change = 'deleted';
    else if (line.startsWith('rename from ')) {
      oldPath = line.slice('rename from '.length);
      change = 'renamed';
    } else if (line.startsWith('rename to ')) newPath = line.slice('rename to '.length);
    else if (line.startsWith('--- a/')) oldPath = line.slice(6);
    else if (line.startsWith('+++ b/')) newPath = line.slice(6);
    else if (line.startsWith('Binary files ') || line === 'GIT binary patch') binary = true;
  }
  return {
    path: change === 'deleted' ? oldPath : newPath,
    oldPath,
    newPath,
    change,
    binary,
    additions,
    deletions,
    text,
  };
}

/** A comment on one line of the diff, waiting in the draft until it is sent. */
export interface DraftComment {
  id: string;
  path: string;
  side: 'old' | 'new';
  line: number;
  text: string;
}

/** Where a session's review draft is kept (localStorage) until it is sent. */
export function draftKey(sessionId: string): string {
  return `hangar.draft.${sessionId}`;
}

/** The one follow-up message a review becomes: each `file:line` quoted with its comment. */
export function reviewMessage(comments: readonly DraftComment[], note = ''): string {
  const sorted = [...comments].sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line);
  const parts = sorted.map((c) => {
    const where = `${c.path}:${c.line}${c.side === 'old' ? ' (removed line)' : ''}`;
    const body = c.text
      .trim()
      .split('\n')
      .map((l) => `> ${l}`)
      .join('\n');
    return `${where}\n${body}`;
  });
  const intro = note.trim() || 'Please address these review comments on your changes:';
  return `${intro}\n\n${parts.join('\n\n')}`;
}
