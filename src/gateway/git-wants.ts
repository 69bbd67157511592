import { readAllPackets, type Packet } from './pkt-line.js';

/**
 * What the git proxy reads of an upload-pack exchange to serve it from a mirror: the
 * objects a fetch request wants, and the objects the upstream advertised. Pure; a
 * request or answer it does not understand is null, and the proxy then leaves it to
 * the upstream.
 */

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

const text = (packet: Packet): string | null =>
  packet.type === 'data' ? packet.payload.toString('latin1').replace(/\n$/, '') : null;

/**
 * The object ids a fetch request wants (protocol v2 `command=fetch`, or a v0/v1
 * request of `want` lines). Null for anything else (`ls-refs`, a `want-ref`, which
 * names a ref rather than an object, or malformed pkt-lines).
 */
export function fetchWants(body: Buffer): string[] | null {
  let packets: Packet[];
  try {
    packets = readAllPackets(body);
  } catch {
    return null;
  }
  const lines = packets.map(text);
  const first = lines[0];
  if (first === undefined || first === null) return null;
  const v2 = first.startsWith('command=');
  if (v2 && first !== 'command=fetch') return null;
  const wants: string[] = [];
  for (const line of lines) {
    if (line === null) continue;
    if (line.startsWith('want-ref ')) return null;
    if (!line.startsWith('want ')) continue;
    const oid = line.slice(5).split(/[ \0]/)[0] ?? '';
    if (!OID.test(oid)) return null;
    wants.push(oid);
  }
  return wants.length === 0 ? null : wants;
}

/** An upstream's v0 ref advertisement (`info/refs?service=git-upload-pack`), as read. */
export interface Advertisement {
  /** Every object id it names: ref tips and peeled tags. */
  oids: Set<string>;
  objectFormat: 'sha1' | 'sha256';
}

/**
 * Parses a smart-HTTP v0 ref advertisement. Null when it is not one (a server that
 * answers protocol v2 even unasked, or malformed pkt-lines).
 */
export function parseAdvertisement(body: Buffer): Advertisement | null {
  let packets: Packet[];
  try {
    packets = readAllPackets(body);
  } catch {
    return null;
  }
  const lines = packets.map(text);
  let at = 0;
  if (lines[0]?.startsWith('# service=')) {
    if (packets[1]?.type !== 'flush') return null;
    at = 2;
  }
  const oids = new Set<string>();
  let objectFormat: 'sha1' | 'sha256' = 'sha1';
  for (const [i, line] of lines.slice(at).entries()) {
    if (line === null) continue;
    if (i === 0 && line.startsWith('version ')) return null;
    const [ref, caps] = line.split('\0');
    if (caps !== undefined && /(?:^| )object-format=sha256(?: |$)/.test(caps)) {
      objectFormat = 'sha256';
    }
    const oid = (ref ?? '').split(' ')[0] ?? '';
    if (!OID.test(oid)) return null;
    oids.add(oid);
  }
  return { oids, objectFormat };
}
