import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { HangarError } from '../errors.js';

const run = promisify(execFile);

/** An agent CLI Hangar installs from the npm registry, at a pinned version. */
export interface AgentPackage {
  /** The npm package name. */
  name: string;
  version: string;
  /** The executable under node_modules/.bin */
  bin: string;
  /**
   * The registry's `dist.integrity` of each package this version installs
   * (`npm view <pkg>@<version> dist.integrity`): anything else installed is refused.
   */
  integrity: Record<string, string>;
  /**
   * What the package's own postinstall would do, done here since no package script
   * runs: the native binary of the platform package `<prefix>-<platform>` (file `file`)
   * is linked over `target` in the main package.
   */
  native?: { prefix: string; file: string; target: string };
}

/**
 * The environment npm runs in: what it needs to find its registry, cache and CA, and
 * nothing of the server's own (model keys, DATABASE_URL, HANGAR_* settings).
 */
export function installEnv(from: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of INSTALL_ENV_KEYS) {
    const value = from[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

const INSTALL_ENV_KEYS = [
  'PATH',
  'HOME',
  'TMPDIR',
  'LANG',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
  'npm_config_registry',
  'npm_config_cache',
  'npm_config_userconfig',
  'npm_config_globalconfig',
  'npm_config_cafile',
] as const;

/** An installed agent: its directory (bound into sandboxes) and its executable. */
export interface InstalledAgent {
  dir: string;
  bin: string;
}

/**
 * Makes sure `pkg` is installed under `agentsDir/<name>@<version>` and returns where.
 * npm runs with no package scripts and a clean env (`installEnv`); what it installed is
 * checked against `pkg.integrity` before use. Installs into a temp dir first and
 * renames it into place, so a crash mid-install never leaves a half-installed agent
 * that looks complete.
 */
export async function ensureAgent(
  agentsDir: string,
  pkg: AgentPackage,
  options: { env?: NodeJS.ProcessEnv } = {},
): Promise<InstalledAgent> {
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
        '--ignore-scripts',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `${pkg.name}@${pkg.version}`,
      ],
      { maxBuffer: 16 * 1024 * 1024, env: installEnv(options.env ?? process.env) },
    );
    checkIntegrity(staging, pkg);
    if (pkg.native) linkNative(staging, pkg.native);
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

const InstalledLock = z.object({
  packages: z.record(
    z.string(),
    z.looseObject({ version: z.string().optional(), integrity: z.string().optional() }),
  ),
});

/**
 * npm's record of what it installed (`node_modules/.package-lock.json`, the integrity
 * it verified each tarball against) must list exactly the pinned packages at the
 * pinned version and integrity: a registry that serves other bytes is refused.
 */
export function checkIntegrity(prefix: string, pkg: AgentPackage): void {
  const lock = InstalledLock.parse(
    JSON.parse(readFileSync(join(prefix, 'node_modules', '.package-lock.json'), 'utf8')),
  );
  const installed = Object.entries(lock.packages).filter(([path]) => path !== '');
  for (const [path, entry] of installed) {
    const name = path.replace(/^.*node_modules\//, '');
    const pinned = pkg.integrity[name];
    if (!pinned) throw new Error(`npm installed ${name}, which has no integrity pin`);
    if (!isPinnedVersion(entry.version, pkg.version, name) || entry.integrity !== pinned) {
      throw new Error(
        `${name}@${entry.version ?? '?'} does not match its pin (integrity ${entry.integrity ?? 'none'}, expected ${pinned} at ${pkg.version})`,
      );
    }
  }
  if (!installed.some(([path]) => path === `node_modules/${pkg.name}`)) {
    throw new Error(`npm did not install ${pkg.name}`);
  }
}

/**
 * The pinned version, or, for a platform package that is an npm alias of the main
 * one (Codex's `@openai/codex-linux-x64` is `@openai/codex@<version>-linux-x64`), the
 * pinned version with that platform's suffix.
 */
function isPinnedVersion(installed: string | undefined, pinned: string, name: string): boolean {
  if (installed === pinned) return true;
  const platform = /-((?:linux|darwin|win32)-[a-z0-9]+)$/.exec(name)?.[1];
  return platform !== undefined && installed === `${pinned}-${platform}`;
}

/** Links the platform's native binary over the main package's placeholder. */
function linkNative(prefix: string, native: NonNullable<AgentPackage['native']>): void {
  const platform = `${process.platform}-${arch()}`;
  const source = join(prefix, 'node_modules', `${native.prefix}-${platform}`, native.file);
  if (!existsSync(source)) throw new Error(`no native binary for ${platform} was installed`);
  const target = join(prefix, 'node_modules', native.prefix, native.target);
  rmSync(target, { force: true });
  linkSync(source, target);
  chmodSync(target, 0o755);
}
