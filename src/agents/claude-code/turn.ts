import type { AgentTurn, McpServerSpec, TurnSpec } from '../agent.js';
import { CLAUDE_CODE } from './package.js';
import { STREAM_JSON_ARGS, userMessageLine } from './stream.js';

/**
 * A headless Claude Code turn: stream-json in and out, the session's instructions
 * appended to its system prompt, `--resume` to continue a conversation.
 */
export function claudeCodeTurn(spec: TurnSpec): AgentTurn {
  return {
    argv: [
      `${spec.mount}/node_modules/.bin/${CLAUDE_CODE.bin}`,
      ...STREAM_JSON_ARGS,
      // The sandbox is the boundary: the agent never waits for a person to approve a tool.
      '--dangerously-skip-permissions',
      '--append-system-prompt',
      spec.systemPrompt,
      ...(spec.resumeId ? ['--resume', spec.resumeId] : []),
      ...(spec.model ? ['--model', spec.model] : []),
      // Added to the repo's own .mcp.json servers, not instead of them (no --strict-mcp-config).
      ...(spec.mcpServers?.length ? ['--mcp-config', claudeMcpConfig(spec.mcpServers)] : []),
    ],
    env: {
      CLAUDE_CODE_REMOTE: 'true',
      CLAUDE_ENV_FILE: spec.envFile,
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      // The transcript written as each message is recorded, not on a timer: Hangar copies
      // it out as soon as the turn's process ends, and a runner may die mid-turn.
      CLAUDE_CODE_EAGER_FLUSH: '1',
    },
    stdin: userMessageLine(spec.input),
  };
}

/** Claude Code's `--mcp-config` JSON for Hangar's servers. */
export function claudeMcpConfig(servers: readonly McpServerSpec[]): string {
  const mcpServers = Object.fromEntries(
    servers.map((s) => [s.name, { type: 'stdio', command: s.command, args: s.args, env: s.env }]),
  );
  return JSON.stringify({ mcpServers });
}
