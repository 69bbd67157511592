import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HangarError } from '../errors.js';

const run = promisify(execFile);

/** An agent CLI Hangar installs from the npm registry, at a pinned version. */
export interface AgentPackage {
  /** npm package, e.g. `@anthropic-ai/claude-code` */
  name: string;
  version: string;
  /** The executable under node_modules/.bin */
  bin: string;
}

/** The Claude Code release Hangar is tested with; it ships a native binary. */
export const CLAUDE_CODE: AgentPackage = {
  name: '@anthropic-ai/claude-code',
  version: '2.1.330',
  bin: 'claude',
};

/** An installed agent: its directory (bound into sandboxes) and its executable. */
export interface InstalledAgent {
  dir: string;
  bin: string;
}

/**
 * Makes sure `pkg` is installed under `agentsDir/<name>@<version>` and returns where. Installs into a temp dir first and renames it into place,
 * so a crash mid-install never leaves a half-installed agent that looks complete.
 */
export async function ensureAgent(agentsDir: string, pkg: AgentPackage): Promise<InstalledAgent> {
  const dir = join(agentsDir, `${pkg.name.replace('/', '+')}@${pkg.version}`);
  const binary = join(dir, 'node_modules', '.bin', pkg.bin);
  if (existsSync(binary)) {
    // mkdtemp makes 0700 directories; the sandbox's user must be able to enter this one.
    chmodSync(dir, 0o755);
    return { dir, bin: binary };
  }

  mkdirSync(agentsDir, { recursive: true });
  const staging = mkdtempSync(join(agentsDir, '.install-'));
  try {
    await run(
      'npm',
      [
        'install',
        '--prefix',
        staging,
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `${pkg.name}@${pkg.version}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    if (!existsSync(join(staging, 'node_modules', '.bin', pkg.bin))) {
      throw new Error(`the package has no ${pkg.bin} executable`);
    }
    chmodSync(staging, 0o755);
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another process won the race (the rename finds its directory): its install is as good as ours.
      if (!existsSync(binary)) throw error;
    }
  } catch (error) {
    const detail =
      error instanceof Error ? error.message.split('\n').slice(0, 5).join(' ') : String(error);
    throw new HangarError(
      'agent_install_failed',
      503,
      `Could not install ${pkg.name}@${pkg.version}: ${detail}`,
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { dir, bin: binary };
}
