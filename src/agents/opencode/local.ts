import { join } from 'node:path';
import type { LocalAgent } from '../agent.js';
import { OPENCODE_INFO } from './info.js';

/**
 * Where an exported conversation is put before `opencode import` loads it into
 * opencode's database (opencode keeps conversations in SQLite, not in files).
 */
export function opencodeExportPath(home: string, id: string): string {
  return join(home, '.local', 'share', 'opencode', 'hangar', `${id}.json`);
}

/** Continuing a teleported session in the person's own opencode. */
export const opencodeLocal: LocalAgent = {
  ...OPENCODE_INFO,
  conversationPath: (home, _repoRoot, id) => opencodeExportPath(home, id),
  importCommand: (file) => ['opencode', 'import', file],
  continueCommand: (id) => ['opencode', '--session', id],
};
