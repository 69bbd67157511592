import { join } from 'node:path';
import type { LocalAgent } from '../agent.js';
import { CODEX_INFO } from './info.js';

/**
 * Where Codex keeps conversation `id`: `~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`,
 * a name it insists on to resume. Its ids are UUIDv7, which begin with the time the
 * conversation started: the name is derived from the id alone (UTC), the same in a
 * sandbox and on a laptop.
 */
export function codexConversationPath(home: string, id: string): string {
  const ms = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
  const time = new Date(Number.isSafeInteger(ms) ? ms : 0).toISOString();
  const [date = '', clock = ''] = time.slice(0, 19).split('T');
  const [year, month, day] = date.split('-');
  return join(
    home,
    '.codex',
    'sessions',
    year ?? '',
    month ?? '',
    day ?? '',
    `rollout-${date}T${clock.replaceAll(':', '-')}-${id}.jsonl`,
  );
}

/** Continuing a teleported session in the person's own Codex. */
export const codexLocal: LocalAgent = {
  ...CODEX_INFO,
  conversationPath: (home, _repoRoot, id) => codexConversationPath(home, id),
  continueCommand: (id) => ['codex', 'resume', id],
};
