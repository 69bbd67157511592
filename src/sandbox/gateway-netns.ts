import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import type { Server } from 'node:net';
import { HangarError } from '../errors.js';
import { HOST_ENV } from './exec-env.js';

/**
 * A sandbox's network namespace made ready before the sandbox: only `lo`, and on it
 * 127.0.0.1:<port> listening, that listening socket already in this process. The
 * sandbox is started in that namespace and the gateway accepts its connections
 * itself: no relay process, no second hop (the socket was created in the namespace,
 * so it stays there, and the sandbox reaches nothing else).
 */
export interface GatewayNetns {
  /** Listening on 127.0.0.1:`port` inside the namespace; accepts land in this process. */
  readonly server: Server;
  /** An open fd of the namespace (`/proc/<pid>/ns/net`), for `nsenter --net=/proc/self/fd/N`. */
  readonly nsFd: number;
  readonly port: number;
  /** Closes the fd and the listener (once the sandbox is gone or was never started). */
  close(): void;
}

/**
 * What runs in the new namespace: listen, hand the listening socket to the parent
 * over the IPC channel (SCM_RIGHTS), wait until the parent holds the namespace, exit.
 * Fixed text from here; nothing the sandbox says reaches it (the sandbox is not yet).
 */
const LISTENER = `
const net = require('node:net');
const server = net.createServer();
server.on('error', (error) => { process.stderr.write(error.message); process.exit(1); });
server.listen({ host: '127.0.0.1', port: Number(process.argv[1]), backlog: 1024 }, () => {
  process.send({ pid: process.pid }, server);
});
process.on('message', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
`;

/** How long making a namespace may take before it is an error. */
const PREPARE_MS = 10_000;

/**
 * Makes a network namespace with `lo` up (bwrap --unshare-net) and a listener on
 * 127.0.0.1:`port` in it, by a short-lived node process started inside it.
 */
export function prepareGatewayNetns(port: number, tools: { bwrap: string }): Promise<GatewayNetns> {
  return listenIn(
    tools.bwrap,
    ['--dev-bind', '/', '/', '--unshare-net', '--die-with-parent', '--'],
    port,
  );
}

/**
 * A listener on 127.0.0.1:`port` in an existing network namespace (`netns`, e.g. a
 * container's `/proc/<pid>/ns/net`), made by a short-lived node process entered there.
 */
export function listenInNetns(
  netns: string,
  port: number,
  tools: { nsenter: string },
): Promise<GatewayNetns> {
  return listenIn(tools.nsenter, [`--net=${netns}`, '--'], port);
}

/** Runs the LISTENER under `command` + `prefix` (which puts it in the namespace). */
function listenIn(command: string, prefix: string[], port: number): Promise<GatewayNetns> {
  const hostNet = statSync('/proc/self/ns/net').ino;
  const child = spawn(command, [...prefix, process.execPath, '-e', LISTENER, String(port)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...HOST_ENV },
    serialization: 'json',
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  return new Promise<GatewayNetns>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(
        new HangarError(
          'sandbox_gateway_failed',
          500,
          `The sandbox's network namespace could not be made: ${why}.`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`no listener after ${PREPARE_MS} ms`), PREPARE_MS);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(stderr.trim() || `exited (${signal ?? code})`));
    child.once('message', (message: { pid?: unknown }, server: Server | undefined) => {
      const pid = message.pid;
      if (typeof pid !== 'number' || server === undefined) {
        fail('the listener sent no socket');
        return;
      }
      let nsFd: number;
      try {
        nsFd = openSync(`/proc/${pid}/ns/net`, 'r');
      } catch (error) {
        server.close();
        fail((error as Error).message);
        return;
      }
      // The listener's own namespace, not the host's: else it could reach out.
      if (fstatSync(nsFd).ino === hostNet) {
        closeSync(nsFd);
        server.close();
        fail('the listener is in the host network namespace');
        return;
      }
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.send('done');
      child.disconnect();
      child.unref();
      server.unref();
      let open = true;
      resolve({
        server,
        nsFd,
        port,
        close: () => {
          if (!open) return;
          open = false;
          closeSync(nsFd);
          server.close();
        },
      });
    });
  });
}

/**
 * A small warm pool of prepared namespaces (one per port by default), refilled in the
 * background after each take, so a sandbox start does not wait for one to be made.
 */
export class GatewayNetnsPool {
  private readonly ready = new Map<number, Promise<GatewayNetns>>();

  constructor(private readonly tools: { bwrap: string }) {}

  /** A prepared namespace for `port`: the pooled one, or one made now; then refills. */
  async take(port: number): Promise<GatewayNetns> {
    const pooled = this.ready.get(port);
    this.ready.delete(port);
    const netns = await (pooled ?? prepareGatewayNetns(port, this.tools)).catch(() =>
      // A pooled one that failed (e.g. the port was taken in that moment): one more try.
      prepareGatewayNetns(port, this.tools),
    );
    this.refill(port);
    return netns;
  }

  /** Starts making one for `port` ahead of need, if none is pooled. */
  refill(port: number): void {
    if (this.ready.has(port)) return;
    const next = prepareGatewayNetns(port, this.tools);
    this.ready.set(port, next);
    // Not lost: the next take awaits it, sees the failure and makes one anew.
    next.catch(() => {
      if (this.ready.get(port) === next) this.ready.delete(port);
    });
  }

  /** Closes what is pooled. */
  async close(): Promise<void> {
    const pooled = [...this.ready.values()];
    this.ready.clear();
    for (const netns of await Promise.allSettled(pooled)) {
      if (netns.status === 'fulfilled') netns.value.close();
    }
  }
}
