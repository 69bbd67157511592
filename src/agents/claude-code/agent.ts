import type { Agent, ConversationStore } from '../agent.js';
import { missingModelKey, modelUpstreamFrom } from '../../gateway/model-gateway.js';
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
  // A key, or an upstream of the operator's own that needs none from Hangar (a stand-in
  // such as the scripted model server, a proxy that adds its key).
  availability: (env) =>
    missingModelKey(modelUpstreamFrom(env))
      ? {
          usable: false,
          reason: `${CLAUDE_CODE_INFO.label} needs a model key: set ${KEY_VAR} where \`hangar serve\` runs and restart it (the key stays on the host; sandboxes see a placeholder). To try Hangar without a key, run scripts/demo.`,
        }
      : { usable: true },
  turn: claudeCodeTurn,
  parseLine: parseClaudeLine,
  refuseMessage: refusedCommand,
  conversation,
  local: claudeCodeLocal,
};
