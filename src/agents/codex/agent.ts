import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { HangarError } from '../../errors.js';
import { OPENAI_API } from '../../gateway/model-apis.js';
import { missingModelKey, modelUpstreamFrom } from '../../gateway/model-gateway.js';
import type { Agent, ConversationStore } from '../agent.js';
import { ensureAgent } from '../install.js';
import { CODEX_INFO } from './info.js';
import { codexConversationPath, codexLocal } from './local.js';
import { CODEX, codexBinary } from './package.js';
import { parseCodexLine } from './stream.js';
import { codexTurn } from './turn.js';

/** The model key Codex's requests are sent upstream with, by the gateway. */
const KEY_VAR = 'OPENAI_API_KEY';

/** Codex appends to one rollout file per conversation, found by its id. */
const FIND = 'ls "$HOME"/.codex/sessions/*/*/*/rollout-*-"$1.jsonl"';

const conversation: ConversationStore = {
  existsCommand: (id) => ['sh', '-c', FIND, 'find', id],
  readCommand: (id) => [
    'sh',
    '-c',
    'cat "$HOME"/.codex/sessions/*/*/*/rollout-*-"$1.jsonl"',
    'conversation',
    id,
  ],
  path: (home, _repoDir, id) => codexConversationPath(home, id),
};

/** OpenAI's Codex CLI, run headless with `codex exec --json`. */
export const codex: Agent = {
  ...CODEX_INFO,
  package: CODEX,
  install: async (agentsDir) => {
    const installed = await ensureAgent(agentsDir, CODEX);
    const binary = codexBinary(installed.dir, arch());
    if (!binary || !existsSync(binary)) {
      throw new HangarError(
        'agent_install_failed',
        503,
        `Could not install ${CODEX.name}@${CODEX.version}: it has no native binary for linux-${arch()}`,
      );
    }
    return { dir: installed.dir, bin: binary };
  },
  models: [{ provider: 'openai', keyVar: KEY_VAR }],
  // A key, or an upstream of the operator's own that needs none from Hangar (a stand-in).
  availability: (env) =>
    missingModelKey(modelUpstreamFrom(env, OPENAI_API))
      ? {
          usable: false,
          reason: `${CODEX_INFO.label} needs a model key: set ${KEY_VAR} where \`hangar serve\` runs and restart it (the key stays on the host; sandboxes see a placeholder).`,
        }
      : { usable: true },
  turn: (spec) => codexTurn(spec),
  parseLine: parseCodexLine,
  // `codex exec` takes every message as a prompt: none leaves the conversation.
  refuseMessage: () => undefined,
  conversation,
  local: codexLocal,
};
