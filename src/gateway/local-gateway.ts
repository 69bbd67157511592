import { mkdirSync } from 'node:fs';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { ValidationError } from '../errors.js';
import { loadTrustedDomains } from '../environments/trusted-domains.js';
import { networkLevels, type NetworkLevel } from '../environments/network-level.js';
import { policyFor, type EgressPolicy } from './egress-policy.js';
import type { Denial } from './egress-proxy.js';
import { createGateway, gatewayOptionsFrom, type Attachment, type Gateway } from './gateway.js';
import { sandboxEnv } from './sandbox-env.js';

/** `--network` and `--allow` as `hangar sandbox run` takes them. */
export interface NetworkFlags {
  network?: string;
  allow?: string[];
}

/**
 * The policy for the CLI flags: `--network` defaults to `trusted`; `--allow` patterns
 * make it `custom` when no level is given, and add ports at `full`. Errors name the flag.
 */
export function policyFromFlags(flags: NetworkFlags, trusted: readonly string[]): EgressPolicy {
  const allow = flags.allow ?? [];
  const level = flags.network ?? (allow.length > 0 ? 'custom' : 'trusted');
  if (!(networkLevels as readonly string[]).includes(level)) {
    throw new ValidationError(`"${level}" is not one of ${networkLevels.join(', ')}`, '--network');
  }
  if (allow.length > 0 && (level === 'none' || level === 'trusted')) {
    throw new ValidationError(`patterns need --network custom or full, not ${level}`, '--allow');
  }
  try {
    return policyFor({ level: level as NetworkLevel, allowlist: allow }, trusted);
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(error.message.replace(/^allowlist\[\d+\]: /, ''), '--allow');
    }
    throw error;
  }
}

/** One line per blocked host, most refused first: `example.com:443  3×  not-allowed: …`. */
export function summarizeDenials(denials: readonly Denial[]): string[] {
  const byTarget = new Map<string, { count: number; denial: Denial }>();
  for (const denial of denials) {
    const key = `${denial.host}:${denial.port}`;
    const seen = byTarget.get(key);
    if (seen) seen.count += 1;
    else byTarget.set(key, { count: 1, denial });
  }
  return [...byTarget.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([target, { count, denial }]) => `${target}  ${count}×  ${denial.code}: ${denial.reason}`);
}

/** A gateway for one sandbox, run in-process by `hangar sandbox run`. */
export interface LocalGateway {
  /** Pass as SandboxSpec.gatewaySocket. */
  socketPath: string;
  /** Pass as SandboxSpec.env (with the sandbox's gateway address). */
  env(address: string): Record<string, string>;
  attachment: Attachment;
  /** Serves the sandbox on a listener in its own network namespace (Gateway.serve). */
  serve(socketPath: string, listener: Server): boolean;
  /** Lines for stderr at exit: what was blocked. Empty when nothing was. */
  summary(): string[];
  close(): Promise<void>;
}

/**
 * Starts a gateway for one sandbox from the same environment variables `hangar serve`
 * reads (HANGAR_EGRESS_RESOLVE, ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY), its socket in
 * `<dataDir>/gateway/`.
 */
export async function startLocalGateway(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  flags: NetworkFlags,
): Promise<LocalGateway> {
  const trusted = loadTrustedDomains().flatMap((group) => group.patterns);
  const policy = policyFromFlags(flags, trusted);
  const gateway: Gateway = createGateway(gatewayOptionsFrom(env));
  const dir = join(dataDir, 'gateway');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = `run_${ulid().toLowerCase()}`;
  const socketPath = join(dir, `${id}.sock`);
  const attachment = await gateway.attach(id, { socketPath, policy });
  return {
    socketPath,
    env: sandboxEnv,
    attachment,
    serve: (path, listener) => gateway.serve(path, listener),
    summary: () => {
      const lines = summarizeDenials(attachment.denials());
      return lines.length === 0
        ? []
        : [
            `Hangar blocked ${attachment.denials().length} network request(s):`,
            ...lines.map((l) => `  ${l}`),
          ];
    },
    close: () => gateway.close(),
  };
}
