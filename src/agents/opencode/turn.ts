import { arch } from 'node:os';
import type { AgentTurn, McpServerSpec, TurnSpec } from '../agent.js';
import { opencodeBinary } from './package.js';

/** The model a session runs when it names none (`provider/model`, as opencode takes it). */
export const DEFAULT_MODEL = 'anthropic/claude-sonnet-4-5';

/**
 * How long a server may take to list its tools, as Claude Code waits (opencode: 5 s):
 * a sandbox on a busy host can take longer to start one.
 */
const MCP_STARTUP_MS = 30_000;

/**
 * opencode's configuration in a sandbox: both providers point at the gateway, whose
 * address and placeholder keys the sandbox's environment holds (`{env:…}` is
 * opencode's own substitution), and Hangar's MCP servers are local ones. opencode
 * merges it over the repo's own `opencode.json`, so the repo's servers stay.
 */
export function opencodeConfig(mcpServers: readonly McpServerSpec[] = []): string {
  return JSON.stringify({
    $schema: 'https://opencode.ai/config.json',
    provider: {
      anthropic: {
        options: { baseURL: '{env:ANTHROPIC_BASE_URL}/v1', apiKey: '{env:ANTHROPIC_API_KEY}' },
      },
      openai: { options: { baseURL: '{env:OPENAI_BASE_URL}', apiKey: '{env:OPENAI_API_KEY}' } },
    },
    autoupdate: false,
    share: 'disabled',
    ...(mcpServers.length
      ? {
          mcp: Object.fromEntries(
            mcpServers.map((s) => [
              s.name,
              {
                type: 'local',
                command: [s.command, ...s.args],
                environment: s.env,
                timeout: MCP_STARTUP_MS,
              },
            ]),
          ),
        }
      : {}),
  });
}

/**
 * What opencode must not do in a sandbox: fetch model lists, plugins, language servers
 * or updates from the internet, or share sessions.
 */
export const QUIET_ENV: Record<string, string> = {
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  OPENCODE_DISABLE_SHARE: '1',
  OPENCODE_PURE: '1',
};

/**
 * A headless opencode turn: `opencode run --format json`, the message on stdin,
 * `--session <id>` to continue a conversation. opencode has no flag to add to its
 * system prompt, so a new conversation's first message starts with Hangar's
 * instructions.
 */
export function opencodeTurn(spec: TurnSpec, cpu: string = arch()): AgentTurn {
  return {
    argv: [
      opencodeBinary(spec.mount, cpu),
      'run',
      '--format',
      'json',
      // The sandbox is the boundary: the agent never waits for a person to approve a tool.
      '--auto',
      '-m',
      spec.model ?? DEFAULT_MODEL,
      ...(spec.resumeId ? ['--session', spec.resumeId] : []),
    ],
    env: { ...QUIET_ENV, OPENCODE_CONFIG_CONTENT: opencodeConfig(spec.mcpServers) },
    stdin: spec.resumeId ? spec.input : `${spec.systemPrompt}\n\n${spec.input}`,
  };
}
