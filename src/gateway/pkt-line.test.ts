import { describe, expect, it } from 'vitest';
import {
  encodePacket,
  encodeSideband,
  MAX_PKT_LENGTH,
  PktLineError,
  readAllPackets,
  readPacket,
} from './pkt-line.js';

const b = (text: string) => Buffer.from(text, 'latin1');

describe('readPacket', () => {
  it('reads data, flush, delim and response-end', () => {
    expect(readAllPackets(b('0009hello0000000100020004'))).toEqual([
      { type: 'data', payload: b('hello') },
      { type: 'flush' },
      { type: 'delim' },
      { type: 'response-end' },
      { type: 'data', payload: b('') },
    ]);
  });

  it('accepts upper-case hex as git does', () => {
    expect(readPacket(b('000Ahello!'))?.packet).toEqual({ type: 'data', payload: b('hello!') });
  });

  it('asks for more when a packet is not complete yet', () => {
    expect(readPacket(b('00'))).toBeNull();
    expect(readPacket(b('0009hel'))).toBeNull();
  });

  it('fails closed on bad lengths, 0003, oversize and truncation', () => {
    expect(() => readPacket(b('00zzabc'))).toThrow(PktLineError);
    expect(() => readPacket(b('-001abc'))).toThrow(/bad pkt-line length/);
    expect(() => readPacket(b(' 00a'))).toThrow(PktLineError);
    expect(() => readPacket(b('0003'))).toThrow(/bad pkt-line length 3/);
    expect(() => readPacket(b('fff1'))).toThrow(/too long/);
    expect(() => readAllPackets(b('0009hel'))).toThrow(/truncated/);
    expect(readPacket(Buffer.concat([b('fff0'), Buffer.alloc(MAX_PKT_LENGTH - 4)]))?.next).toBe(
      MAX_PKT_LENGTH,
    );
  });
});

describe('encodePacket', () => {
  it('frames payloads and refuses ones too long for a packet', () => {
    expect(encodePacket('unpack ok\n').toString()).toBe('000eunpack ok\n');
    expect(() => encodePacket(Buffer.alloc(MAX_PKT_LENGTH - 3))).toThrow(PktLineError);
  });

  it('splits side-band data to the packet size', () => {
    const framed = encodeSideband(1, Buffer.alloc(2000, 'x'), 1000);
    const packets = readAllPackets(framed);
    expect(packets).toHaveLength(3);
    for (const packet of packets) {
      expect(packet.type === 'data' && packet.payload[0]).toBe(1);
      expect(packet.type === 'data' && packet.payload.length).toBeLessThanOrEqual(996);
    }
  });
});
