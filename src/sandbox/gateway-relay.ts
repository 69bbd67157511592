import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HangarError } from '../errors.js';

/** The default port the gateway appears on inside a sandbox (the usual HTTP proxy port). */
export const DEFAULT_GATEWAY_PORT = 3128;

export interface RelayOptions {
  /** `/proc/<pid>/ns/net` of the sandbox; the relay listens in that network namespace. */
  netns: string;
  /** `/proc/<pid>/net/tcp` as the sandbox sees it, to know when the relay listens. */
  tcpTable: string;
  port: number;
  /** The gateway's unix socket on the host. */
  socket: string;
  /** cgroup.procs files the relay joins, so the sandbox's teardown takes it down too. */
  procsFiles: string[];
  tools: { sh: string; nsenter: string; setpriv: string; socat: string };
}

/**
 * Starts the relay that makes the gateway's unix socket reachable inside a sandbox at
 * 127.0.0.1:<port>, and nothing else. It runs socat from the host's mount namespace in
 * the sandbox's network namespace only: it is outside the sandbox's pid and mount
 * namespaces, so nothing inside can see, signal or trace it, and the socket file itself
 * is never visible in the sandbox. It dies with Hangar (pdeathsig) and with the
 * sandbox's cgroups.
 */
export async function startGatewayRelay(options: RelayOptions): Promise<ChildProcess> {
  const { tools } = options;
  try {
    if (!statSync(options.socket).isSocket()) throw new Error('not a unix socket');
  } catch (error) {
    throw new HangarError(
      'sandbox_gateway_missing',
      503,
      `Gateway socket ${options.socket} is not usable: ${(error as Error).message}.`,
    );
  }
  const join = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f"; done; shift $(( $# ))';
  const script = `${join}; exec "$0" --net="$NETNS" -- "$SETPRIV" --pdeathsig KILL -- "$SOCAT" "$LISTEN" "$CONNECT"`;
  const child = spawn(tools.sh, ['-c', script, tools.nsenter, ...options.procsFiles, '--'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
    env: {
      NETNS: options.netns,
      SETPRIV: tools.setpriv,
      SOCAT: tools.socat,
      LISTEN: `TCP-LISTEN:${options.port},bind=127.0.0.1,reuseaddr,fork`,
      CONNECT: `UNIX-CONNECT:${options.socket}`,
    },
  });
  let stderr = '';
  // Kept for a start-up failure message only; socat may go on writing for the sandbox's life.
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += chunk.toString();
  });
  const deadline = Date.now() + 5000;
  while (!isListening(options.tcpTable, options.port)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      stopRelay(child);
      throw new HangarError(
        'sandbox_gateway_failed',
        500,
        `The gateway relay did not start: ${stderr.trim() || 'no listener after 5 s'}.`,
      );
    }
    await sleep(2);
  }
  return child;
}

/** Kills the relay and the per-connection copies socat forked (its process group). */
export function stopRelay(child: ChildProcess): void {
  // Once reaped, its pid (and so the group id) may be a new process's: never signalled.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** Whether /proc/net/tcp (as a namespace sees it) has 127.0.0.1:<port> in LISTEN. */
export function isListening(tcpTable: string, port: number): boolean {
  let text: string;
  try {
    text = readFileSync(tcpTable, 'utf8');
  } catch {
    return false;
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // `  0: 0100007F:0C38 00000000:0000 0A ...`: 0A is TCP_LISTEN.
  return text.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[1] === local && fields[3] === '0A';
  });
}
