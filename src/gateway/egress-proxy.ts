import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { decide, splitAuthority, type EgressPolicy } from './egress-policy.js';
import { forwardHeaders, refuse, refuseSocket, type Refusal } from './http-util.js';
import { parseIpLiteral, type IpAddress } from './ip-class.js';
import { resolveTarget, type Lookup, type Pins } from './resolver.js';
import type { Limiter } from './sandbox-limits.js';
import { parseClientHello, sameServerName } from './tls-sni.js';

/** Opens a TCP connection to exactly this address (never a name). */
export type Dial = (address: IpAddress, port: number) => Socket;

/**
 * How much a tunnel's socket buffers before pipe() waits for it to drain (Node's default
 * is 16 KiB, less than one 64 KiB read: each read would wait for a drain). Per socket,
 * so bounded by the sandbox's tunnel limit.
 */
export const TUNNEL_BUFFER_BYTES = 256 * 1024;

export const dialDirect: Dial = (address, port) =>
  connect({
    host: address.text,
    port,
    family: address.family,
    noDelay: true,
    allowHalfOpen: true,
    // Passed on to the stream (Node's own typings leave it out of the connect options).
    highWaterMark: TUNNEL_BUFFER_BYTES,
  } as NetConnectOpts);

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

/** Counts what `streams` carry; past the budget it destroys them and `also`. */
function countBytes(ctx: EgressContext, streams: Readable[], also: Duplex[] = []): void {
  // Unlimited: no per-chunk listener on the hot path.
  if (ctx.limiter.limits.maxBytes === Number.POSITIVE_INFINITY) return;
  for (const stream of streams) {
    stream.on('data', (chunk: Buffer) => {
      if (ctx.limiter.addBytes(chunk.length)) return;
      streams.forEach((s) => s.destroy());
      also.forEach((s) => s.destroy());
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
    // The server may speak first (SSH, SMTP): its side flows at once; the client's
    // waits until its first bytes are known to be TLS for this host, or not TLS.
    countBytes(ctx, [upstream], [client]);
    upstream.pipe(client);
    checkFirstBytes(client, head, target.host, (verdict) => {
      if (verdict.ok) {
        if (!ctx.limiter.addBytes(verdict.bytes.length)) return client.destroy();
        if (verdict.ended) {
          upstream.end(verdict.bytes);
          return;
        }
        if (verdict.bytes.length > 0) upstream.write(verdict.bytes);
        countBytes(ctx, [client], [upstream]);
        client.pipe(upstream);
        client.resume();
        return;
      }
      ctx.recordDenial({
        at: new Date(),
        host: target.host,
        port: target.port,
        code: verdict.code,
        reason: verdict.reason,
      });
      client.destroy();
    });
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

type FirstBytes =
  | { ok: true; bytes: Buffer; ended: boolean }
  | { ok: false; code: 'sni-mismatch' | 'sni-missing' | 'bad-tls'; reason: string };

/**
 * Reads a tunnel's first client bytes until they are known to be a TLS ClientHello
 * whose SNI is the CONNECT host, or not TLS at all (anything else on an allowed
 * port). A ClientHello for another name is domain fronting through a shared front
 * end; one without SNI to a name is refused too, as the front end picks the site.
 * Leaves the client paused, the bytes read in the verdict.
 */
function checkFirstBytes(
  client: Duplex,
  head: Buffer,
  host: string,
  done: (verdict: FirstBytes) => void,
): void {
  let bytes = head;
  let settled = false;
  const settle = (verdict: FirstBytes) => {
    if (settled) return;
    settled = true;
    client.off('data', onData);
    client.off('end', onEnd);
    client.pause();
    done(verdict);
  };
  const judge = (ended: boolean) => {
    const result = parseClientHello(bytes);
    switch (result.kind) {
      case 'need-more':
        if (ended && bytes.length > 0) {
          settle({ ok: false, code: 'bad-tls', reason: 'the tunnel closed inside a ClientHello' });
        } else if (ended) settle({ ok: true, bytes, ended });
        return;
      case 'not-tls':
        settle({ ok: true, bytes, ended });
        return;
      case 'malformed':
        settle({
          ok: false,
          code: 'bad-tls',
          reason: `a malformed TLS ClientHello (${result.reason})`,
        });
        return;
      case 'client-hello': {
        const name = result.serverName;
        if (name === undefined) {
          // A literal address has no SNI (RFC 6066 §3): that is the one fine case.
          if (parseIpLiteral(host)) settle({ ok: true, bytes, ended });
          else
            settle({
              ok: false,
              code: 'sni-missing',
              reason: `a TLS ClientHello without a server name in a tunnel to ${host}`,
            });
        } else if (sameServerName(name, host)) {
          settle({ ok: true, bytes, ended });
        } else {
          settle({
            ok: false,
            code: 'sni-mismatch',
            reason: `the TLS ClientHello names ${name.slice(0, 253)}, not ${host}`,
          });
        }
        return;
      }
    }
  };
  const onData = (chunk: Buffer) => {
    bytes = bytes.length === 0 ? chunk : Buffer.concat([bytes, chunk]);
    judge(false);
  };
  const onEnd = () => judge(true);
  client.on('data', onData);
  client.once('end', onEnd);
  if (bytes.length > 0) judge(false);
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
