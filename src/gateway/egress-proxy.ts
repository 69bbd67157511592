import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { decide, splitAuthority, type EgressPolicy } from './egress-policy.js';
import { forwardHeaders, refuse, refuseSocket, type Refusal } from './http-util.js';
import type { IpAddress } from './ip-class.js';
import { resolveTarget, type Lookup, type Pins } from './resolver.js';
import type { Limiter } from './sandbox-limits.js';

/** Opens a TCP connection to exactly this address (never a name). */
export type Dial = (address: IpAddress, port: number) => Socket;

export const dialDirect: Dial = (address, port) =>
  connect({ host: address.text, port, family: address.family, noDelay: true, allowHalfOpen: true });

/** How long a dial (and, for plain HTTP, the wait for response headers) may take. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** What the egress proxy needs from the host side, shared by every sandbox. */
export interface EgressDeps {
  pins: Pins;
  lookup: Lookup;
  dial: Dial;
  connectTimeoutMs: number;
}

/** A refused request, kept per sandbox (later a `network.blocked` session event). */
export interface Denial {
  at: Date;
  host: string;
  port: number;
  code: string;
  reason: string;
}

/** One sandbox as the egress proxy sees it: known from its socket, never from a request. */
export interface EgressContext {
  policy: EgressPolicy;
  limiter: Limiter;
  recordDenial(denial: Denial): void;
}

type Target = { host: string; port: number; address: IpAddress } | { refusal: Refusal };

/** Decides, then resolves, then names the address to dial: the one that was checked. */
async function admit(
  ctx: EgressContext,
  deps: EgressDeps,
  host: string,
  port: number,
): Promise<Target> {
  const denied = (code: string, reason: string): Target => {
    ctx.recordDenial({ at: new Date(), host, port, code, reason });
    return {
      refusal: { status: 403, code, message: `Hangar blocked ${host}:${port}: ${reason}.` },
    };
  };
  const decision = decide(host, port, ctx.policy);
  if (!decision.allow) return denied(decision.code, decision.reason);
  const resolution = await resolveTarget(decision.host, decision.address, deps.pins, deps.lookup);
  if (!resolution.ok) return denied(resolution.code, resolution.reason);
  return { host: decision.host, port: decision.port, address: resolution.address };
}

const limited = (what: 'requests-per-second' | 'tunnels' | 'bytes'): Refusal => ({
  status: 429,
  code: what,
  message: {
    'requests-per-second': 'Hangar: too many requests from this sandbox; slow down and retry.',
    tunnels: 'Hangar: too many open connections from this sandbox; close some and retry.',
    bytes: 'Hangar: this sandbox has used its network byte budget.',
  }[what],
});

function countBytes(ctx: EgressContext, streams: Readable[]): void {
  // Unlimited: no per-chunk listener on the hot path.
  if (ctx.limiter.limits.maxBytes === Number.POSITIVE_INFINITY) return;
  for (const stream of streams) {
    stream.on('data', (chunk: Buffer) => {
      if (!ctx.limiter.addBytes(chunk.length)) streams.forEach((s) => s.destroy());
    });
  }
}

/** `CONNECT host:port`: a byte tunnel to the checked address, no TLS interception. */
export async function handleConnect(
  ctx: EgressContext,
  deps: EgressDeps,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
): Promise<void> {
  client.on('error', () => client.destroy());
  if (!ctx.limiter.takeRequest()) {
    refuseSocket(client, limited('requests-per-second'));
    return;
  }
  if (!ctx.limiter.bytesLeft()) {
    refuseSocket(client, limited('bytes'));
    return;
  }
  const authority = splitAuthority(req.url ?? '');
  if (!authority) {
    const reason = 'CONNECT needs a host:port target';
    ctx.recordDenial({ at: new Date(), host: req.url ?? '', port: 0, code: 'bad-target', reason });
    refuseSocket(client, { status: 403, code: 'bad-target', message: `Hangar: ${reason}.` });
    return;
  }
  const release = ctx.limiter.openTunnel();
  if (!release) {
    refuseSocket(client, limited('tunnels'));
    return;
  }
  client.once('close', release);
  const target = await admit(ctx, deps, authority.host, authority.port);
  if ('refusal' in target) {
    refuseSocket(client, target.refusal);
    return;
  }
  if (client.destroyed) return;

  const upstream = deps.dial(target.address, target.port);
  let open = false;
  upstream.setTimeout(deps.connectTimeoutMs, () => {
    if (!open) upstream.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
  });
  upstream.once('connect', () => {
    open = true;
    upstream.setTimeout(0);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    countBytes(ctx, [client, upstream]);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (open) return client.destroy();
    refuseSocket(client, {
      status: 502,
      code: 'connect-failed',
      message: `Hangar could not connect to ${target.host}:${target.port} (${error.code ?? error.message}).`,
    });
  });
  // An orderly end travels through pipe() (which flushes first); only a client that
  // is gone for good takes the upstream down with it.
  client.on('close', () => upstream.destroy());
}

/** Absolute-form `GET http://host/path`: forwarded to the checked address. */
export async function handleForward(
  ctx: EgressContext,
  deps: EgressDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!ctx.limiter.takeRequest()) {
    refuse(res, limited('requests-per-second'));
    return;
  }
  if (!ctx.limiter.bytesLeft()) {
    refuse(res, limited('bytes'));
    return;
  }
  const raw = req.url ?? '';
  const bad = (reason: string) => {
    ctx.recordDenial({ at: new Date(), host: raw, port: 0, code: 'bad-target', reason });
    refuse(res, { status: 403, code: 'bad-target', message: `Hangar: ${reason}.` });
  };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    bad('the request target is not a URL');
    return;
  }
  if (url.protocol !== 'http:') {
    bad(`only http:// requests are forwarded; use CONNECT for ${url.protocol}//`);
    return;
  }
  if (!sameAuthority(req.headers.host, url)) {
    bad(`the Host header does not match the request target ${url.host}`);
    return;
  }
  const port = url.port === '' ? 80 : Number(url.port);
  const release = ctx.limiter.openTunnel();
  if (!release) {
    refuse(res, limited('tunnels'));
    return;
  }
  res.once('close', release);
  const target = await admit(ctx, deps, url.hostname, port);
  if ('refusal' in target) {
    refuse(res, target.refusal);
    return;
  }

  const upstream = httpRequest({
    method: req.method,
    path: `${url.pathname}${url.search}`,
    headers: { ...forwardHeaders(req.headers), host: url.host },
    createConnection: () => deps.dial(target.address, target.port),
  });
  upstream.setTimeout(deps.connectTimeoutMs, () => {
    if (!res.headersSent)
      upstream.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
  });
  upstream.on('response', (answer) => {
    upstream.setTimeout(0);
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardHeaders(answer.headers));
    countBytes(ctx, [answer]);
    answer.pipe(res);
  });
  upstream.on('error', (error: NodeJS.ErrnoException) =>
    refuse(res, {
      status: 502,
      code: 'connect-failed',
      message: `Hangar could not reach ${target.host}:${target.port} (${error.code ?? error.message}).`,
    }),
  );
  res.on('close', () => upstream.destroy());
  countBytes(ctx, [req]);
  req.pipe(upstream);
}

/** Whether the Host header names the same host and port as the absolute-form target. */
function sameAuthority(header: string | undefined, url: URL): boolean {
  if (header === undefined || /[\s@/\\?#]/.test(header)) return false;
  try {
    return new URL(`http://${header}`).host === url.host;
  } catch {
    return false;
  }
}
