import type { Agent, ConversationStore } from '../agent.js';
import { ensureAgent } from '../install.js';
import { CLAUDE_CODE_INFO } from './info.js';
import { claudeCodeLocal, claudeConversationPath } from './local.js';
import { CLAUDE_CODE } from './package.js';
import { refusedCommand } from './slash-commands.js';
import { parseClaudeLine } from './stream.js';
import { claudeCodeTurn } from './turn.js';

/** The model key Claude Code's requests are sent upstream with, by the gateway. */
const KEY_VAR = 'ANTHROPIC_API_KEY';

/**
 * Claude Code writes its conversation as it goes, under the path of the directory it
 * ran in; the sandbox has one repo, so the id alone finds the file.
 */
const conversation: ConversationStore = {
  existsCommand: (id) => ['sh', '-c', 'ls "$HOME"/.claude/projects/*/"$1.jsonl"', 'find', id],
  readCommand: (id) => [
    'sh',
    '-c',
    'cat "$HOME"/.claude/projects/*/"$1.jsonl"',
    'conversation',
    id,
  ],
  path: claudeConversationPath,
};

/** Claude Code, run headless in stream-json mode. */
export const claudeCode: Agent = {
  ...CLAUDE_CODE_INFO,
  package: CLAUDE_CODE,
  install: (agentsDir) => ensureAgent(agentsDir, CLAUDE_CODE),
  models: [{ provider: 'anthropic', keyVar: KEY_VAR }],
  availability: (env) =>
    env[KEY_VAR]
      ? { usable: true }
      : {
          usable: false,
          reason: `${CLAUDE_CODE_INFO.label} needs a model key: set ${KEY_VAR} in the server's environment (it stays on the host; sandboxes see a placeholder).`,
        },
  turn: claudeCodeTurn,
  parseLine: parseClaudeLine,
  refuseMessage: refusedCommand,
  conversation,
  local: claudeCodeLocal,
};
