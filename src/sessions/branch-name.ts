/**
 * The session's branch: `hangar/<slug of the title>-<short id>`, e.g.
 * `hangar/fix-the-flaky-test-3k9x2a`. The short id keeps two sessions with the same
 * title apart; the slug keeps the branch readable in a PR list.
 */
export function sessionBranch(title: string, sessionId: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  const short = sessionId.slice(-6);
  return `hangar/${slug || 'session'}-${short}`;
}

/** A title from the prompt: its first line, shortened at a word. */
export function titleFromPrompt(prompt: string): string {
  const line = prompt.trim().split('\n')[0]?.trim() ?? '';
  if (line.length <= 72) return line || 'Untitled session';
  const cut = line.slice(0, 72);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : 72)}…`;
}
