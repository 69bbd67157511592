import type { SandboxDriver } from './driver.js';
import type { HostCapacity } from './limits.js';
import { DockerDriver, dockerDriverOptionsFrom, driverNameFrom } from './docker-driver.js';
import {
  LocalDriver,
  localDriverOptionsFrom,
  sandboxPoolFrom,
  type GatewayAcceptor,
} from './local-driver.js';

/** A driver a server or the CLI made, with what to close when done. */
export type HostDriver = SandboxDriver & {
  close(): Promise<void>;
  /** CPUs, memory and disk to cap limits by. */
  hostCapacity(): HostCapacity | Promise<HostCapacity>;
  /** Readies a gateway namespace ahead of the first sandbox, where the driver can. */
  prepareNetns?(port: number): void;
};

/**
 * The driver HANGAR_SANDBOX_DRIVER names (`local`, the default, or `docker`), with its
 * options from the environment. `warmPool`: the local driver's pool of started sandboxes.
 */
export function driverFrom(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  options: { gateway?: GatewayAcceptor; warmPool?: boolean; onWarning?: (message: string) => void },
): HostDriver {
  if (driverNameFrom(env) === 'docker') {
    return new DockerDriver({
      ...dockerDriverOptionsFrom(env, dataDir),
      ...(options.gateway ? { gateway: options.gateway } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    });
  }
  return new LocalDriver({
    ...localDriverOptionsFrom(env, dataDir),
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.warmPool ? { warmPool: sandboxPoolFrom(env) } : {}),
  });
}
