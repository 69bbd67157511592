import { join } from 'node:path';
import type { LocalAgent } from '../agent.js';
import { CLAUDE_CODE_INFO } from './info.js';

/**
 * Where Claude Code keeps a conversation: `~/.claude/projects/<the repo's path, every
 * non-alphanumeric as ->/<id>.jsonl`. The same in a sandbox and on a laptop.
 */
export function claudeConversationPath(home: string, repoRoot: string, id: string): string {
  return join(home, '.claude', 'projects', repoRoot.replace(/[^A-Za-z0-9]/g, '-'), `${id}.jsonl`);
}

/** Continuing a teleported session in the person's own Claude Code. */
export const claudeCodeLocal: LocalAgent = {
  ...CLAUDE_CODE_INFO,
  conversationPath: claudeConversationPath,
  continueCommand: (id) => ['claude', '--resume', id],
};
