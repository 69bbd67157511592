import { describe, expect, it } from 'vitest';
import { claudeCodeTurn } from './turn.js';

const spec = {
  mount: '/opt/hangar-agent',
  input: 'fix the bug',
  systemPrompt: 'Work on the branch.',
  resumeId: null,
  model: null,
  envFile: '/home/user/.hangar/session-env',
};

describe('claudeCodeTurn', () => {
  it('runs the mounted binary headless, with the prompt appended and no permission prompts', () => {
    const turn = claudeCodeTurn(spec);
    expect(turn.argv).toEqual([
      '/opt/hangar-agent/node_modules/.bin/claude',
      '-p',
      '--input-format',
      'stream-json',
      '--output-format',
      'stream-json',
      '--verbose',
      '--dangerously-skip-permissions',
      '--append-system-prompt',
      'Work on the branch.',
    ]);
    expect(JSON.parse(turn.stdin)).toEqual({
      type: 'user',
      message: { role: 'user', content: 'fix the bug' },
    });
    expect(turn.stdin.endsWith('\n')).toBe(true);
  });

  it("gives the agent Hangar's MCP servers beside the repo's own .mcp.json", () => {
    const server = {
      name: 'hangar-github',
      command: 'node',
      args: ['/opt/hangar-tools/hangar-github.cjs', 'acme/app'],
      env: { HANGAR_GATEWAY_URL: 'http://127.0.0.1:3128' },
    };
    const { argv } = claudeCodeTurn({ ...spec, mcpServers: [server] });
    const at = argv.indexOf('--mcp-config');
    expect(JSON.parse(argv[at + 1] ?? '')).toEqual({
      mcpServers: {
        'hangar-github': {
          type: 'stdio',
          command: 'node',
          args: server.args,
          env: server.env,
        },
      },
    });
    expect(argv).not.toContain('--strict-mcp-config');
    expect(claudeCodeTurn(spec).argv).not.toContain('--mcp-config');
  });

  it('resumes a conversation and picks the model when asked', () => {
    const id = '0b7c8a52-5b0e-4d0f-9a53-3f3c1d9c2e11';
    const { argv } = claudeCodeTurn({ ...spec, resumeId: id, model: 'claude-sonnet-4-5' });
    expect(argv.slice(-4)).toEqual(['--resume', id, '--model', 'claude-sonnet-4-5']);
  });

  it('turns off what phones home, names the env file for hooks and flushes the transcript', () => {
    expect(claudeCodeTurn(spec).env).toEqual({
      CLAUDE_CODE_REMOTE: 'true',
      CLAUDE_ENV_FILE: '/home/user/.hangar/session-env',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_EAGER_FLUSH: '1',
    });
  });
});
