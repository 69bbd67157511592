import {
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IpAddress } from './ip-class.js';

/** Headers that belong to one hop (RFC 9110 §7.6.1) or to the proxy itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Copies headers minus hop-by-hop ones, those `Connection` names, and `drop`. */
export function forwardHeaders(
  headers: IncomingHttpHeaders,
  drop: readonly string[] = [],
): OutgoingHttpHeaders {
  const named = (headers.connection ?? '').split(',').map((name) => name.trim().toLowerCase());
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue;
    if (drop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** A refusal as the gateway sends it: the status, a reason code and one line for people. */
export interface Refusal {
  status: 400 | 403 | 404 | 405 | 413 | 429 | 502 | 503;
  /** Sent as X-Hangar-Deny-Reason (403) or X-Hangar-Limit (429). */
  code: string;
  message: string;
}

const STATUS_TEXT: Record<Refusal['status'], string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  429: 'Too Many Requests',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function refusalHeaders(refusal: Refusal): Record<string, string> {
  const header = refusal.status === 429 ? 'X-Hangar-Limit' : 'X-Hangar-Deny-Reason';
  return { [header]: refusal.code, 'Content-Type': 'text/plain; charset=utf-8' };
}

/** One line a person understands; never more (no CR/LF inside). */
function body(refusal: Refusal): string {
  return `${refusal.message.replace(/[\r\n]+/g, ' ')}\n`;
}

export function refuse(res: ServerResponse, refusal: Refusal): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = body(refusal);
  res.writeHead(refusal.status, {
    ...refusalHeaders(refusal),
    'Content-Length': Buffer.byteLength(text),
    Connection: 'close',
  });
  res.end(text);
}

/** The same refusal written on a raw socket (a CONNECT that never became a tunnel). */
export function refuseSocket(socket: Duplex, refusal: Refusal): void {
  const text = body(refusal);
  const head = Object.entries({
    ...refusalHeaders(refusal),
    'Content-Length': String(Buffer.byteLength(text)),
    Connection: 'close',
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}\r\n${head}\r\n${text}`);
}

/**
 * A request to `path` on the upstream at `base`, over http or https as its URL says.
 * With `address`, the connection goes to exactly that address (the one that was
 * checked), never to what a fresh lookup of the name might answer; TLS still checks
 * the certificate against the name.
 */
export function requestUpstream(
  base: URL,
  method: string | undefined,
  path: string,
  headers: OutgoingHttpHeaders,
  address?: IpAddress,
): ClientRequest {
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return send({
    protocol: base.protocol,
    hostname: base.hostname,
    port: base.port,
    method,
    path,
    headers,
    ...(address ? { lookup: pinnedLookup(address) } : {}),
  });
}

/** A `lookup` for net.connect that answers one address, in both of its call shapes. */
function pinnedLookup(address: IpAddress): LookupFunction {
  return (_host, options, callback) => {
    if (options.all) callback(null, [{ address: address.text, family: address.family }]);
    else callback(null, address.text, address.family);
  };
}
