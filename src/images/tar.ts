import type { Readable } from 'node:stream';

/**
 * A streaming reader of tar archives (ustar, pax and GNU long names), so Hangar decides
 * itself where each member goes: a container image's layers are attacker-controlled
 * and an extractor that follows a planted symlink writes on the host (see extract.ts).
 */

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  linkname: string;
}

/** Reads exactly the bytes asked for from a stream of chunks. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly iterator: AsyncIterator<Buffer>;
  private done = false;

  constructor(stream: Readable) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** `n` bytes, or fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    const all =
      this.chunks.length === 1 ? (this.chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered = Math.max(0, all.length - n);
    return out;
  }

  /** Hands `n` bytes to `sink` in pieces, without holding them all. */
  async pipe(n: number, sink: (chunk: Buffer) => Promise<void> | void): Promise<void> {
    let left = n;
    while (left > 0) {
      const chunk = await this.read(Math.min(left, 1 << 20));
      if (chunk.length === 0) throw new Error('the archive ends inside a member');
      await sink(chunk);
      left -= chunk.length;
    }
  }
}

function text(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function octal(block: Buffer, offset: number, length: number): number {
  const byte = block[offset] ?? 0;
  if (byte & 0x80) {
    // GNU base-256: big-endian, the first byte's high bit is the marker.
    let value = byte & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + (block[offset + i] ?? 0);
    return value;
  }
  const digits = text(block, offset, length).trim();
  return digits === '' ? 0 : parseInt(digits, 8);
}

function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const length = Number(data.subarray(at, space).toString());
    if (!Number.isInteger(length) || length <= 0) break;
    const record = data.subarray(space + 1, at + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '5': 'dir',
};

/** The most a pax or GNU long-name header may hold (they are read into memory). */
const MAX_META = 1024 * 1024;

/**
 * Calls `onEntry` for each member in order; it must consume the member's data through
 * `body` (or skip it by not calling it). Rejects on a malformed archive.
 */
export async function readTar(
  stream: Readable,
  onEntry: (
    entry: TarEntry,
    body: (sink: (chunk: Buffer) => Promise<void> | void) => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const reader = new ChunkReader(stream);
  let pax: Record<string, string> = {};
  let global: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const block = await reader.read(512);
    if (block.length < 512 || block.every((b) => b === 0)) return;
    const sum = octal(block, 148, 8);
    let check = 0;
    for (let i = 0; i < 512; i++) check += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    if (sum !== check) throw new Error('not a tar archive (bad header checksum)');
    const flag = String.fromCharCode(block[156] ?? 0);
    const size = octal(block, 124, 12);
    const padded = Math.ceil(size / 512) * 512;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (size > MAX_META) throw new Error('a tar extended header is too large');
      const data = (await reader.read(padded)).subarray(0, size);
      if (flag === 'x') pax = paxRecords(data);
      else if (flag === 'g') global = { ...global, ...paxRecords(data) };
      else if (flag === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
      else longLink = data.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const meta = { ...global, ...pax };
    const prefix = text(block, 345, 155);
    const name = text(block, 0, 100);
    const entry: TarEntry = {
      path: meta.path ?? longName ?? (prefix ? `${prefix}/${name}` : name),
      type: TYPES[flag] ?? 'other',
      mode: octal(block, 100, 8),
      uid: meta.uid !== undefined ? Number(meta.uid) : octal(block, 108, 8),
      gid: meta.gid !== undefined ? Number(meta.gid) : octal(block, 116, 8),
      mtime: meta.mtime !== undefined ? Number(meta.mtime) : octal(block, 136, 12),
      size: meta.size !== undefined ? Number(meta.size) : size,
      linkname: meta.linkpath ?? longLink ?? text(block, 157, 100),
    };
    pax = {};
    longName = undefined;
    longLink = undefined;
    const dataBytes = entry.type === 'file' ? entry.size : size;
    const read = { consumed: false };
    await onEntry(entry, async (sink) => {
      read.consumed = true;
      await reader.pipe(dataBytes, sink);
    });
    if (!read.consumed) await reader.pipe(dataBytes, () => undefined);
    const rest = Math.ceil(dataBytes / 512) * 512 - dataBytes;
    if (rest > 0) await reader.read(rest);
  }
}
