import type { AgentPackage } from '../install.js';

/** The Claude Code release Hangar is tested with; it ships a native binary. */
export const CLAUDE_CODE: AgentPackage = {
  name: '@anthropic-ai/claude-code',
  version: '2.1.330',
  bin: 'claude',
  integrity: {
    '@anthropic-ai/claude-code':
      'sha512-KQMl6kixLMGHRCDUhkUPebuBhw13MpxlH3+17QzHQx40FNVd1z3uFKUSqQXB5zF9vLQGcpoC/8wWe5R35lsWvQ==',
    '@anthropic-ai/claude-code-linux-x64':
      'sha512-9Gn+V7DtJ8M1nztP9CeDVl9g3RtrepI7rOFTyPRRnZe8D6zebIHKmC7OvBauucuAP0X0k85SDN/LPVZyjsGezQ==',
    '@anthropic-ai/claude-code-linux-arm64':
      'sha512-V4yanAY5EA5UpwwRPtjSfqDbNqAlUJeVn3NYZw2AgmRHjdpSsLtHAzbxRXfkAnbjwTXzE0uedjQxUY02ARPcsA==',
  },
  native: { prefix: '@anthropic-ai/claude-code', file: 'claude', target: 'bin/claude.exe' },
};
