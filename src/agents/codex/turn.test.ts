import { describe, expect, it } from 'vitest';
import { codexTurn } from './turn.js';

const ID = '01a21e35-5389-7670-beaa-bbcc474de194';
const spec = {
  mount: '/opt/hangar-agent',
  input: 'fix the test',
  systemPrompt: 'Work on "hangar/x".',
  model: 'gpt-5.5',
  envFile: '/home/user/.hangar/env',
};

describe('codexTurn', () => {
  it('runs the native binary with the message on stdin, the gateway as its provider', () => {
    const turn = codexTurn({ ...spec, resumeId: null }, 'x64');
    expect(turn.argv.slice(0, 2)).toEqual(['sh', '-c']);
    // The base URL comes from the sandbox's environment, in a fixed script.
    expect(turn.argv[2]).toContain('base_url=\\"$OPENAI_BASE_URL\\"');
    expect(turn.argv[3]).toBe(
      '/opt/hangar-agent/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex',
    );
    expect(turn.argv).toContain('--json');
    expect(turn.argv).toContain('--dangerously-bypass-approvals-and-sandbox');
    expect(turn.argv).toContain('model_provider=hangar');
    expect(turn.argv).toContain('developer_instructions="Work on \\"hangar/x\\"."');
    expect(turn.argv.slice(-3)).toEqual(['-m', 'gpt-5.5', '-']);
    expect(turn.stdin).toBe('fix the test');
  });

  it("adds Hangar's MCP servers key by key, as TOML values", () => {
    const tools = {
      name: 'hangar-github',
      command: 'node',
      args: ['/opt/hangar-tools/hangar-github.cjs', 'acme/app'],
      env: { HANGAR_GATEWAY_URL: 'http://127.0.0.1:3128', HANGAR_GITHUB_REPO: 'acme/app' },
    };
    const turn = codexTurn({ ...spec, resumeId: null, mcpServers: [tools] }, 'x64');
    const i = turn.argv.indexOf('mcp_servers.hangar-github.command="node"');
    expect(turn.argv.slice(i - 1, i + 7)).toEqual([
      '-c',
      'mcp_servers.hangar-github.command="node"',
      '-c',
      'mcp_servers.hangar-github.args=["/opt/hangar-tools/hangar-github.cjs","acme/app"]',
      '-c',
      'mcp_servers.hangar-github.env={"HANGAR_GATEWAY_URL"="http://127.0.0.1:3128","HANGAR_GITHUB_REPO"="acme/app"}',
      '-c',
      'mcp_servers.hangar-github.startup_timeout_sec=30',
    ]);
    expect(turn.argv.slice(-3)).toEqual(['-m', 'gpt-5.5', '-']);
  });

  it('resumes with exec resume <id>, and leaves the model to Codex when none is chosen', () => {
    const turn = codexTurn({ ...spec, model: null, resumeId: ID }, 'arm64');
    expect(turn.argv.slice(-3)).toEqual(['resume', ID, '-']);
    expect(turn.argv).not.toContain('-m');
    expect(turn.argv[3]).toContain('codex-linux-arm64/vendor/aarch64-unknown-linux-musl');
  });
});
