import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';
import type { Bind, SandboxSpec } from './driver.js';
import { checkEnv } from './exec-env.js';
import { DEFAULT_GATEWAY_PORT } from './gateway-relay.js';

/**
 * The checks a sandbox's spec and data dir pass before anything is made. Paths end up
 * in overlayfs mount options and a shell word list (the holder's script), so they
 * must be plain.
 */

/** A path that can go into overlayfs mount options and a shell word list. */
export const SAFE_PATH = /^[A-Za-z0-9_./@+-]+$/;

/** A sandbox id, as the local driver makes them (`sbx_` and a lowercase ulid). */
export const SANDBOX_ID = /^sbx_[0-9a-z]{26}$/;

/** The data dir must be a plain path, since every sandbox path starts with it. */
export function checkDataDir(dataDir: string): void {
  if (!SAFE_PATH.test(dataDir)) {
    throw new ValidationError(
      `${dataDir} has characters sandbox paths cannot hold; use letters, digits and . _ - / only.`,
      'HANGAR_DATA_DIR',
    );
  }
}

/** The data dir must not be inside a live layer (`usr`, `opt`): every sandbox would see it. */
export function checkOutsideLive(dataDir: string, live: readonly string[]): void {
  for (const layer of live) {
    if (dataDir === `/${layer}` || dataDir.startsWith(`/${layer}/`)) {
      throw new ValidationError(
        `${dataDir} is inside /${layer}, which sandboxes see: put the data dir elsewhere.`,
        'HANGAR_DATA_DIR',
      );
    }
  }
}

/** The gateway's socket path goes into socat's address: a plain path only. */
function checkGatewaySocket(socket: string): void {
  if (!SAFE_PATH.test(socket)) {
    throw new ValidationError(`${socket} is not a plain path.`, 'gatewaySocket');
  }
}

/** The port the gateway appears on inside the sandbox. */
function checkGatewayPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new ValidationError(`${port} is not a port.`, 'gatewayPort');
  }
}

/** A bind's target must be a plain absolute path, away from /, /proc and /dev. */
export function checkBindTarget(target: string, field: string): void {
  const reserved = ['/', '/proc', '/dev'].some(
    (r) => target === r || (r !== '/' && target.startsWith(`${r}/`)),
  );
  if (!SAFE_PATH.test(target) || !target.startsWith('/') || target.includes('..') || reserved) {
    throw new ValidationError(`${target} is not a plain absolute path inside the sandbox.`, field);
  }
}

/** Binds must name an existing host directory and a plain place inside, away from /proc and /dev. */
export function checkBinds(binds: Bind[]): Bind[] {
  binds.forEach((bind, i) => {
    const field = `binds[${i}]`;
    if (!SAFE_PATH.test(bind.source) || !existsSync(bind.source)) {
      throw new ValidationError(`${bind.source} is not an existing plain host path.`, field);
    }
    // Shown through an overlay (see holder.ts), which takes directories only.
    if (!statSync(bind.source).isDirectory()) {
      throw new ValidationError(`${bind.source} is not a directory.`, field);
    }
    checkBindTarget(bind.target, field);
  });
  return binds.map(({ source, target }) => ({ source, target }));
}

/**
 * Checks a spec's gateway and variables (its limits and binds are checked on their
 * own); returns the gateway's port inside the sandbox.
 */
export function checkSpec(spec: SandboxSpec): number {
  if (spec.gatewaySocket !== undefined) checkGatewaySocket(spec.gatewaySocket);
  checkEnv(spec.env ?? {});
  const gatewayPort = spec.gatewayPort ?? DEFAULT_GATEWAY_PORT;
  checkGatewayPort(gatewayPort);
  return gatewayPort;
}

/** Setup-cache layers: plain host directories, each holding the `root/` layer. */
export function checkLayers(layers: string[]): string[] {
  layers.forEach((layer, i) => {
    if (
      !SAFE_PATH.test(layer) ||
      !statSync(join(layer, 'root'), { throwIfNoEntry: false })?.isDirectory()
    ) {
      throw new ValidationError(
        `${layer} is not a plain host path holding a root/ layer.`,
        `layers[${i}]`,
      );
    }
  });
  return [...layers];
}
