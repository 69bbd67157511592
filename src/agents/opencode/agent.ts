import { arch } from 'node:os';
import { ANTHROPIC_API, OPENAI_API } from '../../gateway/model-apis.js';
import { missingModelKey, modelUpstreamFrom } from '../../gateway/model-gateway.js';
import type { Agent, ConversationStore } from '../agent.js';
import { ensureAgent } from '../install.js';
import { OPENCODE_INFO } from './info.js';
import { opencodeExportPath, opencodeLocal } from './local.js';
import { OPENCODE, opencodeBinary } from './package.js';
import { opencodeTurnReader, parseOpencodeLine } from './stream.js';
import { opencodeTurn, QUIET_ENV } from './turn.js';

/** A fixed script that runs opencode with its network features off; arguments follow. */
const QUIET = `${Object.entries(QUIET_ENV)
  .map(([key, value]) => `${key}=${value}`)
  .join(' ')} exec "$0" "$@"`;

/**
 * opencode keeps conversations in its SQLite database: `opencode export` prints one
 * as JSON, `opencode import` loads it back.
 */
function conversation(cpu: string): ConversationStore {
  const bin = (mount: string) => opencodeBinary(mount, cpu);
  return {
    existsCommand: (id, mount) => [
      'sh',
      '-c',
      `${QUIET} >/dev/null 2>&1`,
      bin(mount),
      'export',
      id,
    ],
    readCommand: (id, mount) => ['sh', '-c', `${QUIET} 2>/dev/null`, bin(mount), 'export', id],
    path: (home, _repoDir, id) => opencodeExportPath(home, id),
    importCommand: (file, mount) => ['sh', '-c', `${QUIET} >/dev/null`, bin(mount), 'import', file],
  };
}

/** opencode, run headless with `opencode run --format json`, on Anthropic or OpenAI models. */
export const opencode: Agent = {
  ...OPENCODE_INFO,
  package: OPENCODE,
  install: (agentsDir) => ensureAgent(agentsDir, OPENCODE),
  models: [
    { provider: 'anthropic', keyVar: 'ANTHROPIC_API_KEY' },
    { provider: 'openai', keyVar: 'OPENAI_API_KEY' },
  ],
  // Either provider will do: a key, or an upstream of the operator's own (a stand-in).
  availability: (env) =>
    [ANTHROPIC_API, OPENAI_API].some((api) => !missingModelKey(modelUpstreamFrom(env, api)))
      ? { usable: true }
      : {
          usable: false,
          reason: `${OPENCODE_INFO.label} needs a model key: set ANTHROPIC_API_KEY (its default models) or OPENAI_API_KEY (openai/… models) where \`hangar serve\` runs and restart it (it stays on the host; sandboxes see a placeholder).`,
        },
  turn: (spec) => opencodeTurn(spec),
  parseLine: parseOpencodeLine,
  turnReader: opencodeTurnReader,
  // `opencode run` takes every message as a prompt: none leaves the conversation.
  refuseMessage: () => undefined,
  conversation: conversation(arch()),
  local: opencodeLocal,
};
