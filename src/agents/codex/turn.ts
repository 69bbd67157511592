import { arch } from 'node:os';
import type { AgentTurn, McpServerSpec, TurnSpec } from '../agent.js';
import { codexBinary } from './package.js';

/** The gateway route Codex's model requests go through, as a Codex model provider. */
export const PROVIDER = 'hangar';

/**
 * A headless Codex turn: `codex exec --json`, the message on stdin (`-`), `exec
 * resume <id>` to continue a conversation. Its model provider is the gateway's
 * `/model/openai/` route, whose address only the sandbox's environment knows
 * (`OPENAI_BASE_URL`): a fixed `sh` script puts it into Codex's config, as Codex reads
 * no base URL from the environment for a provider of its own. Hangar's MCP servers are
 * `-c mcp_servers.<name>.…` overrides: they add servers, replacing none configured.
 */
export function codexTurn(spec: TurnSpec, cpu: string = arch()): AgentTurn {
  const binary = codexBinary(spec.mount, cpu);
  if (!binary) throw new Error(`Codex ships no Linux binary for ${cpu}`);
  const options = [
    '--json',
    // The sandbox is the boundary: Codex's own sandbox and approvals would only stall it.
    '--dangerously-bypass-approvals-and-sandbox',
    '--skip-git-repo-check',
    '-c',
    `model_provider=${PROVIDER}`,
    // Key by key: a whole table here would replace the base URL the script sets.
    '-c',
    `model_providers.${PROVIDER}.name="Hangar gateway"`,
    '-c',
    `model_providers.${PROVIDER}.env_key="OPENAI_API_KEY"`,
    '-c',
    `model_providers.${PROVIDER}.wire_api="responses"`,
    '-c',
    `developer_instructions=${JSON.stringify(spec.systemPrompt)}`,
    '-c',
    'check_for_update_on_startup=false',
    '-c',
    'analytics.enabled=false',
    ...(spec.mcpServers ?? []).flatMap(codexMcpServer),
    ...(spec.model ? ['-m', spec.model] : []),
  ];
  return {
    argv: [
      'sh',
      '-c',
      'exec "$0" exec -c "model_providers.hangar.base_url=\\"$OPENAI_BASE_URL\\"" "$@"',
      binary,
      ...options,
      ...(spec.resumeId ? ['resume', spec.resumeId] : []),
      '-',
    ],
    env: {},
    stdin: spec.input,
  };
}

/** How long a server may take to start and list its tools, as Claude Code waits (Codex: 10 s). */
const MCP_STARTUP_SECONDS = 30;

/**
 * One MCP server as Codex `-c` overrides, key by key (values in TOML, which a JSON
 * string is), so that nothing is written to the sandbox's Codex home for it. A sandbox
 * on a busy host can take longer than Codex's default to start one.
 */
export function codexMcpServer(server: McpServerSpec): string[] {
  const key = `mcp_servers.${server.name}`;
  const env = Object.entries(server.env).map(
    ([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`,
  );
  return [
    '-c',
    `${key}.command=${JSON.stringify(server.command)}`,
    '-c',
    `${key}.args=${JSON.stringify(server.args)}`,
    '-c',
    `${key}.env={${env.join(',')}}`,
    '-c',
    `${key}.startup_timeout_sec=${MCP_STARTUP_SECONDS}`,
  ];
}
