import type { AgentPackage } from '../install.js';

/**
 * The Codex CLI release Hangar is tested with. Its platform packages are npm aliases
 * (`@openai/codex-linux-x64` is `@openai/codex@<version>-linux-x64`) that hold a
 * static native binary, run directly (see `codexBinary`), so no Node.js is needed in
 * the sandbox.
 */
export const CODEX: AgentPackage = {
  name: '@openai/codex',
  version: '0.171.0',
  bin: 'codex',
  integrity: {
    '@openai/codex':
      'sha512-1IOFzL2Xg86tLdw6kDo3GoKbkQENgQi7TI6rlEvN132R7ngSw7SNOIQoTcnKzSZZ8kf9N9GynCweSoaFbqk2Eg==',
    '@openai/codex-linux-x64':
      'sha512-l66NZkQgdk2C3pbcfULDz42yEUB581MVA6I+Y43Wp4OIqEy73HCdmZ0GTjeAHY2ycuH4N00d9VsLrwT1jxshTw==',
    '@openai/codex-linux-arm64':
      'sha512-9z17t4bbUJ9UCIb49O4PoA+ki+45q3rd8nZ8PeH6sYnlKkBld/Xpo/OS3h3Ti954+foshX4o7k5TCU8N7zzqQA==',
  },
};

const TRIPLES: Record<string, string> = {
  x64: 'x86_64-unknown-linux-musl',
  arm64: 'aarch64-unknown-linux-musl',
};

/**
 * The native binary inside an install mounted at `root`, for CPU `arch` (what
 * `bin/codex.js` would start, without Node.js); undefined where Codex ships none.
 */
export function codexBinary(root: string, arch: string): string | undefined {
  const triple = TRIPLES[arch];
  if (!triple) return undefined;
  return `${root}/node_modules/@openai/codex-linux-${arch}/vendor/${triple}/bin/codex`;
}
