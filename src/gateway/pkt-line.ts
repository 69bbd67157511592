/**
 * git's pkt-line framing (gitprotocol-common(5)): four hex digits giving the length
 * including themselves, then the payload. `0000` is flush, `0001` delim and `0002`
 * response-end (protocol v2); `0003` and anything over 65520 are malformed. The
 * reader fails closed: a bad length is an error, never skipped.
 */

/** LARGE_PACKET_MAX in git: the longest packet, header included. */
export const MAX_PKT_LENGTH = 65_520;

export type Packet =
  | { type: 'data'; payload: Buffer }
  | { type: 'flush' }
  | { type: 'delim' }
  | { type: 'response-end' };

export class PktLineError extends Error {
  override name = 'PktLineError';
}

const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * Reads the packet at `offset`. Returns it with the offset after it, or null when
 * `buffer` ends before the packet does (read more and call again).
 */
export function readPacket(buffer: Buffer, offset = 0): { packet: Packet; next: number } | null {
  if (buffer.length - offset < 4) return null;
  const head = buffer.toString('latin1', offset, offset + 4);
  if (!HEX4.test(head)) throw new PktLineError(`bad pkt-line length "${printable(head)}"`);
  const length = parseInt(head, 16);
  if (length === 0) return { packet: { type: 'flush' }, next: offset + 4 };
  if (length === 1) return { packet: { type: 'delim' }, next: offset + 4 };
  if (length === 2) return { packet: { type: 'response-end' }, next: offset + 4 };
  if (length < 4) throw new PktLineError(`bad pkt-line length ${length}`);
  if (length > MAX_PKT_LENGTH) throw new PktLineError(`pkt-line of ${length} bytes is too long`);
  if (buffer.length - offset < length) return null;
  return {
    packet: { type: 'data', payload: buffer.subarray(offset + 4, offset + length) },
    next: offset + length,
  };
}

/** Reads every packet of a complete buffer; a truncated last packet is an error. */
export function readAllPackets(buffer: Buffer): Packet[] {
  const packets: Packet[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const read = readPacket(buffer, offset);
    if (!read) throw new PktLineError('truncated pkt-line');
    packets.push(read.packet);
    offset = read.next;
  }
  return packets;
}

export const FLUSH_PKT = Buffer.from('0000');

/** Frames one payload; throws when it cannot fit in one packet. */
export function encodePacket(payload: string | Buffer): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = data.length + 4;
  if (length > MAX_PKT_LENGTH)
    throw new PktLineError(`payload of ${data.length} bytes is too long`);
  return Buffer.concat([Buffer.from(length.toString(16).padStart(4, '0')), data]);
}

/**
 * Wraps data in side-band packets of one band (1 data, 2 progress, 3 error), split
 * to fit `side-band` (1000-byte packets) or `side-band-64k`.
 */
export function encodeSideband(band: 1 | 2 | 3, data: Buffer, packetMax: number): Buffer {
  const chunk = packetMax - 5;
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunk) {
    parts.push(encodePacket(Buffer.concat([Buffer.of(band), data.subarray(at, at + chunk)])));
  }
  return Buffer.concat(parts);
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
