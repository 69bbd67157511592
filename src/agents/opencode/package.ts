import type { AgentPackage } from '../install.js';

/**
 * The opencode release Hangar is tested with. `opencode-ai` holds a placeholder that
 * its postinstall replaces with the platform's native binary; with no package scripts
 * run, Hangar starts that binary itself (see `opencodeBinary`).
 */
export const OPENCODE: AgentPackage = {
  name: 'opencode-ai',
  version: '1.18.33',
  bin: 'opencode',
  integrity: {
    'opencode-ai':
      'sha512-58P1ffLRXiAY4QeoABqUjqf6DEzm1ihpovvn9Ad+oOLbLiwK/rf88wruT9IATJ7AtNjmi8iA7pC8tN4o5y799Q==',
    'opencode-linux-x64':
      'sha512-q/t/3p2CTxOT9y2kvjesb/LZab2+1eqlhhWA02Be6mjTtmYtNBcBsrI5yDo4Fw7ZSPBW2oyMIGMNRqiKQjiAWw==',
    'opencode-linux-x64-baseline':
      'sha512-1KQGBiiDDeL/VHHbHkOvvFo8Jr97WT5+C1tear+p7IcDTnXgVHXqIjU4O4jM4mHQzykTP2i884FCnW5LDa+zCA==',
  },
};

/** The native binary inside an install mounted at `root`, for CPU `arch`. */
export function opencodeBinary(root: string, arch: string): string {
  return `${root}/node_modules/opencode-linux-${arch}/bin/opencode`;
}
