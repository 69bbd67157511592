import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runInBackground } from '../background.js';
import { bundlePath, gatewaySocketPath, sessionBareRepo } from '../data-dir.js';
import { policyFor } from '../gateway/egress-policy.js';
import type { Attachment } from '../gateway/gateway.js';
import type { GitUpstream } from '../gateway/git-proxy.js';
import type { GitHubApi } from '../gateway/github-api.js';
import type { RepoAccess } from '../github/github.js';
import { parseGitHubRepo } from '../github/repo-ref.js';
import { sessionUpstream } from '../github/session-upstream.js';
import { DEFAULT_GIT_PROCESS_LIMITS } from '../git/repo-limits.js';
import { runGit } from '../git/run-git.js';
import { parseDotenv } from '../environments/dotenv.js';
import { sandboxRoot } from '../images/resolve.js';
import type { Sandbox } from '../sandbox/driver.js';
import { loadEnvironment, type Environment } from '../store/environments.js';
import { loadBundleData, loadSessionFile, saveSessionFile } from '../store/session-files.js';
import type { Db } from '../store/store.js';
import { updateSession, type Session } from '../store/sessions.js';
import { outputBound, type RunnerDeps, type SessionContext } from './context.js';
import type { Source } from './source.js';
import type { ProvisioningStep } from './status.js';
import { setupKey, type CacheEntry } from './setup-cache.js';
import {
  AGENT_MOUNT,
  cloneRepo,
  GITHUB_TOOLS_FILE,
  HOME,
  repoDir,
  repoKey,
  runSetup,
  TOOLS_MOUNT,
  toolsDir,
} from './workspace.js';

/** A session's sandbox, started, and its own gateway attachment. */
export interface Box {
  sandbox: Sandbox;
  attachment: Attachment;
}

/** How provisioning reports to the live session it works for. */
export interface ProvisionSteps {
  /** A sub-step begins (recorded as `provisioning` with it). */
  step(subStep: ProvisioningStep): Promise<void>;
  /** The sandbox is up: the session owns it from here, and stops it if a later step fails. */
  started(box: Box): void;
  /** A batch of the setup script's output. */
  setupOutput(stream: 'stdout' | 'stderr', text: string): void;
  /** Settles when the output handed over is recorded: the script waits for the store. */
  drained(): Promise<unknown> | undefined;
}

/**
 * Makes a queued session ready for its first turn: the sandbox with its gateway socket
 * (a bundle unpacked meanwhile), the clone, then the environment's setup script.
 */
export async function provision(
  ctx: SessionContext,
  session: Session,
  steps: ProvisionSteps,
  { rebuild = false } = {},
): Promise<Box> {
  const { deps, options } = ctx;
  const bound = (what: string) => outputBound(options.outputLimits, 'setupBytes', what);
  await steps.step('sandbox');
  const env = await loadEnvironment(deps.db, session.environmentId);
  const vars = parseDotenv(env.envVars).vars;
  const agent = await deps.installAgent(ctx.agentOf(session));
  // A GitHub repo's access, checked again now: a token revoked since creation fails here, saying what to do.
  const onGitHub = githubRepoOf(deps, session);
  const access =
    onGitHub && (await onGitHub.github.resolveRepoAccess(session.userId, onGitHub.ref));
  // The bundle is only needed by the clone: unpack it while the sandbox starts.
  const mirrored =
    session.source.type === 'bundle' ? mirrorBundle(deps.db, deps.dataDir, session) : undefined;
  // A new sandbox of an environment with a setup script starts from its setup cache.
  const cached = await claimSetupCache(deps, session, env);
  try {
    const layers = cached.entry ? [cached.entry.layer] : [];
    const repoBytes = options.outputLimits.repoBytes;
    const started = startSandbox(deps, session, env, agent.dir, repoBytes, access, layers);
    const [box] = await Promise.all([started, mirrored]).catch(async (error: unknown) => {
      stopLeftover(deps, session.id, await started.catch(() => undefined));
      throw error;
    });
    steps.started(box);

    await steps.step('clone');
    await cloneRepo(box.sandbox, session, bound("the clone's output"), rebuild);
    if (env.setupScript.trim() !== '') {
      await steps.step('setup');
      if (cached.entry) {
        steps.setupOutput('stdout', `setup: from cache (built ${cached.entry.builtAt})\n`);
      } else {
        await runSetup(box.sandbox, session, {
          script: env.setupScript,
          vars,
          timeoutMs: options.setupTimeoutMs,
          bound: bound("the setup script's output"),
          onOutput: (stream, text) => steps.setupOutput(stream, text),
          drained: () => steps.drained(),
        });
        const kept = await cached.save?.(box.sandbox);
        if (kept === false) {
          steps.setupOutput(
            'stdout',
            'setup: not cached: the environment changed while its setup ran; the next session runs the new setup\n',
          );
        }
      }
    }
    await steps.step('agent');
    return box;
  } finally {
    cached.done?.();
  }
}

/**
 * The environment's setup cache for a new sandbox: its layer if there is one (a build
 * by another session under way is waited for), else `save` keeps this session's.
 */
async function claimSetupCache(
  deps: RunnerDeps,
  session: Session,
  env: Environment,
): Promise<{
  entry?: CacheEntry;
  /** Keeps the sandbox's setup as the cache; false when the environment changed meanwhile. */
  save?: (sandbox: Sandbox) => Promise<boolean | undefined>;
  done?: () => void;
}> {
  const cache = deps.setupCache;
  if (!cache || session.sandboxId || env.setupScript.trim() === '') return {};
  const key = setupKeyOf(deps, env);
  const claim = await cache.claim(env.id, key);
  if (claim.entry) return claim;
  const exclude = [repoDir(session), `${HOME}/.hangar`];
  // The environment as it is now, once setup has run: an edit meanwhile makes this run stale.
  const current = async () => {
    try {
      return setupKeyOf(deps, await loadEnvironment(deps.db, env.id)) === key;
    } catch {
      return false; // gone, or its image is: nothing to keep it for
    }
  };
  const save = async (sandbox: Sandbox) => {
    try {
      return await cache.save(env.id, key, (target) => sandbox.snapshot(target, exclude), current);
    } catch (error) {
      // The session goes on; the next one runs setup again.
      deps.logger.warn({ err: error, session: session.id }, 'keeping the setup cache failed');
      return undefined;
    }
  };
  return { save, ...(claim.done ? { done: claim.done } : {}) };
}

/** What an environment's setup result depends on (setup-cache.ts). */
function setupKeyOf(deps: RunnerDeps, env: Environment): string {
  return setupKey({
    base: sandboxRoot(deps.dataDir, env.image),
    script: env.setupScript,
    envVars: env.envVars,
    network: [env.networkLevel, env.allowlist, env.includeDefaults],
  });
}

/** A sandbox started for a provisioning step that failed alongside it is not left running. */
function stopLeftover(deps: RunnerDeps, id: string, box: Box | undefined): void {
  if (!box) return;
  const background = { logger: deps.logger, context: { session: id } };
  runInBackground('stopping the sandbox of a failed start', box.sandbox.stop(), background);
  runInBackground('detaching the gateway of a failed start', box.attachment.detach(), background);
  deps.logger.info({ session: id }, 'stopped the sandbox of a failed start');
}

/**
 * Attaches the session to the gateway (its egress policy, its one repo and branch, its
 * model meter) and starts its sandbox: the one it had, or a new one recorded on it.
 * `access`: a GitHub repo's access as just checked (a resumed session's is checked at
 * its first git request).
 */
export async function startSandbox(
  deps: RunnerDeps,
  session: Session,
  env: Environment,
  agentDir: string,
  repoMaxBytes: number,
  access?: RepoAccess,
  layers: string[] = [],
): Promise<Box> {
  const { db, gateway, driver, dataDir } = deps;
  const policy = policyFor(
    { level: env.networkLevel, allowlist: env.allowlist, includeDefaults: env.includeDefaults },
    deps.trustedPatterns,
  );
  const socketPath = gatewaySocketPath(dataDir, session.id);
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
  await rm(socketPath, { force: true });
  const attachment = await gateway.attach(session.id, {
    socketPath,
    policy,
    ...(session.branch ? { branch: session.branch } : {}),
    // This attachment's own upstream: no other session's attach or delete touches it.
    repos: {
      [repoKey(session)]: upstreamOf(
        deps,
        session,
        sessionBareRepo(dataDir, session.id),
        repoMaxBytes,
        access,
      ),
    },
    ...(deps.modelMeter ? { meter: deps.modelMeter(session) } : {}),
    ...githubOf(deps, session),
  });
  try {
    let sandbox: Sandbox;
    if (session.sandboxId) {
      sandbox = await driver.get(session.sandboxId);
      await sandbox.start();
    } else {
      const rootfs = sandboxRoot(dataDir, env.image);
      sandbox = await driver.create({
        gatewaySocket: socketPath,
        binds: [
          { source: agentDir, target: AGENT_MOUNT },
          ...(existsSync(join(toolsDir(), GITHUB_TOOLS_FILE))
            ? [{ source: toolsDir(), target: TOOLS_MOUNT }]
            : []),
        ],
        ...(rootfs !== undefined ? { rootfs } : {}),
        layers,
      });
      await updateSession(db, session.id, { sandboxId: sandbox.id });
    }
    return { sandbox, attachment };
  } catch (error) {
    await attachment.detach();
    throw error;
  }
}

/**
 * A bundle's branches in a bare repo Hangar keeps: the session clones from and pushes to
 * it. Made from the repo as the session last left it (kept in the store after each
 * turn), else from the upload; both come from the store when this host has no copy.
 */
export async function mirrorBundle(db: Db, dataDir: string, session: Session): Promise<void> {
  const source = session.source as Source & { type: 'bundle' };
  const repoDir = sessionBareRepo(dataDir, session.id);
  // Still on this host (a rebuild of a sandbox lost alone): as new as the store's copy.
  if (existsSync(repoDir)) return;
  await mkdir(dirname(repoDir), { recursive: true });
  const kept = await loadSessionFile(db, session.id, 'kept-repo');
  let from = bundlePath(dataDir, source.bundleId);
  if (kept) {
    from = join(dirname(repoDir), 'kept-repo.bundle');
    await writeFile(from, kept, { mode: 0o600 });
  } else if (!existsSync(from)) {
    const data = await loadBundleData(db, source.bundleId);
    if (!data) throw new Error(`The bundle ${source.bundleId} is gone from the store.`);
    await mkdir(dirname(from), { recursive: true, mode: 0o700 });
    await writeFile(from, data, { mode: 0o600 });
  }
  const cloned = await runGit(
    [
      'clone',
      '--bare',
      '--quiet',
      // Pushes over smart HTTP need this on a bare repo served by git http-backend; set by
      // the clone itself, as a second git process is on the path to the session's start.
      '--config',
      'http.receivepack=true',
      from,
      repoDir,
    ],
    { limits: DEFAULT_GIT_PROCESS_LIMITS },
  );
  if (kept) await rm(from, { force: true });
  if (cloned.code !== 0) throw new Error(`Could not unpack the bundle: ${cloned.stderr.trim()}`);
}

/**
 * Keeps the Hangar-kept repo of a bundle-sourced session in the store (as a git bundle
 * of all its refs, at most `maxBytes`), so another runner can rebuild the session.
 */
export async function keepBundleRepo(
  db: Db,
  dataDir: string,
  session: Session,
  maxBytes: number,
  /** The runner keeping it: refused once another runner holds the session. */
  holder?: string,
): Promise<void> {
  const repoDir = sessionBareRepo(dataDir, session.id);
  if (!existsSync(repoDir)) return;
  const file = join(dirname(repoDir), 'kept-repo.bundle');
  try {
    // The repo's objects came from the sandbox's pushes: git runs under rlimits.
    const made = await runGit(['-C', repoDir, 'bundle', 'create', '--quiet', file, '--all'], {
      limits: DEFAULT_GIT_PROCESS_LIMITS,
    });
    if (made.code !== 0) throw new Error(`git bundle create failed: ${made.stderr.trim()}`);
    const { size } = await stat(file);
    if (size > maxBytes) {
      throw new Error(
        `the session's repository (${size} bytes) is larger than HANGAR_MAX_REPO_MB allows to keep`,
      );
    }
    await saveSessionFile(db, session.id, 'kept-repo', await readFile(file), holder);
  } finally {
    await rm(file, { force: true });
  }
}

/** The configured GitHub and the session's repo on it, when its source is there. */
function githubRepoOf(deps: RunnerDeps, session: Session) {
  const source = session.source as Source;
  const github = deps.githubAccounts;
  const ref =
    github && source.type === 'git' ? parseGitHubRepo(source.url, github.config) : undefined;
  return github && ref ? { github, ref } : undefined;
}

/**
 * Where the session's git goes: the bare repo Hangar keeps for a bundle; a GitHub repo
 * with the App's or the user's credential added on the host (a credential GitHub stops
 * taking becomes a `github.access_failed` event saying what to do); any other URL as is.
 */
function upstreamOf(
  deps: RunnerDeps,
  session: Session,
  bareRepo: string,
  maxBytes: number,
  access: RepoAccess | undefined,
): GitUpstream {
  const source = session.source as Source;
  if (source.type === 'bundle') return { repoDir: bareRepo, maxBytes };
  const onGitHub = githubRepoOf(deps, session);
  if (!onGitHub) return { url: source.url };
  const report = (failure: { repo: string; code: string; message: string }) => {
    deps.logger.warn({ session: session.id, code: failure.code }, 'GitHub refused the session');
    runInBackground(
      'recording a GitHub access failure',
      deps.log.append(session.id, [{ type: 'github.access_failed', data: failure }]),
      { logger: deps.logger, context: { session: session.id } },
    );
  };
  return sessionUpstream(onGitHub.github, session.userId, onGitHub.ref, report, access);
}

/** The session's GitHub for the gateway's /github/ route, when its repo is on GitHub. */
function githubOf(deps: RunnerDeps, session: Session): { github?: GitHubApi } {
  const github = deps.github?.(session);
  return github ? { github } : {};
}
