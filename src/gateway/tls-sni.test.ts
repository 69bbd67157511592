import { Duplex } from 'node:stream';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { MAX_CLIENT_HELLO_BYTES, parseClientHello, sameServerName } from './tls-sni.js';

/** The ClientHello Node's TLS client writes, caught in memory (no socket). */
function nodeClientHello(servername: string | undefined): Promise<Buffer> {
  return new Promise((resolve) => {
    const wire = new Duplex({
      read: () => undefined,
      write(chunk: Buffer, _encoding, done) {
        resolve(chunk);
        // The write happens inside connect(): destroy once connect() has returned.
        setImmediate(() => client.destroy());
        done();
      },
    });
    const client = connect({
      socket: wire,
      ...(servername === undefined ? {} : { servername }),
      rejectUnauthorized: false,
    });
    client.on('error', () => undefined);
  });
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

function serverNameExtension(...names: string[]): number[] {
  const list = names.flatMap((name) => [0, ...u16(name.length), ...Buffer.from(name, 'latin1')]);
  const data = [...u16(list.length), ...list];
  return [...u16(0), ...u16(data.length), ...data];
}

/** A minimal TLS 1.2-style ClientHello handshake message with these extensions. */
function clientHello(extensions: number[] | undefined): Buffer {
  const body = [
    ...[3, 3],
    ...new Array<number>(32).fill(7),
    0, // session id
    ...u16(2),
    0x13,
    0x01, // one cipher suite
    1,
    0, // compression: null
    ...(extensions === undefined ? [] : [...u16(extensions.length), ...extensions]),
  ];
  return Buffer.from([1, ...u24(body.length), ...body]);
}

/** Wraps handshake bytes in records of at most `size` bytes each. */
function records(handshake: Buffer, size = 16_384): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < handshake.length; at += size) {
    const part = handshake.subarray(at, at + size);
    out.push(Buffer.from([22, 3, 1, ...u16(part.length)]), part);
  }
  return Buffer.concat(out);
}

describe('parseClientHello', () => {
  it("reads the server name of Node's own ClientHello", async () => {
    const hello = await nodeClientHello('registry.example.org');
    expect(parseClientHello(hello)).toEqual({
      kind: 'client-hello',
      serverName: 'registry.example.org',
    });
  });

  it('reports a ClientHello without SNI', async () => {
    // An empty servername makes Node send no SNI, as clients do for an IP address.
    const hello = await nodeClientHello('');
    expect(parseClientHello(hello)).toEqual({ kind: 'client-hello', serverName: undefined });
    expect(parseClientHello(records(clientHello(undefined)))).toEqual({
      kind: 'client-hello',
      serverName: undefined,
    });
    expect(parseClientHello(records(clientHello([...u16(23), ...u16(0)])))).toEqual({
      kind: 'client-hello',
      serverName: undefined,
    });
  });

  it('asks for more at every prefix, and reads it whole at the end', async () => {
    const hello = await nodeClientHello('a.example');
    for (let cut = 0; cut < hello.length; cut += 1) {
      expect(parseClientHello(hello.subarray(0, cut)).kind, `prefix of ${cut}`).toBe('need-more');
    }
    expect(parseClientHello(Buffer.concat([hello, Buffer.from('more')]))).toEqual({
      kind: 'client-hello',
      serverName: 'a.example',
    });
  });

  it('joins a ClientHello split over several records', () => {
    const hello = records(clientHello(serverNameExtension('split.example')), 7);
    expect(parseClientHello(hello)).toEqual({ kind: 'client-hello', serverName: 'split.example' });
    expect(parseClientHello(hello.subarray(0, hello.length - 1)).kind).toBe('need-more');
  });

  it('says not-tls when the first byte is not a handshake record', () => {
    expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'not-tls' });
    expect(parseClientHello(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'))).toEqual({ kind: 'not-tls' });
    expect(parseClientHello(Buffer.from([0x17, 3, 3, 0, 1, 0]))).toEqual({ kind: 'not-tls' });
  });

  it('refuses what is ambiguous or broken', () => {
    const malformed = (bytes: Buffer) => {
      const result = parseClientHello(bytes);
      expect(result.kind, bytes.toString('hex')).toBe('malformed');
    };
    malformed(records(clientHello(serverNameExtension('a.example', 'b.example'))));
    malformed(
      records(
        clientHello([...serverNameExtension('a.example'), ...serverNameExtension('b.example')]),
      ),
    );
    malformed(records(clientHello(serverNameExtension(''))));
    malformed(records(clientHello(serverNameExtension('a b.example'))));
    malformed(records(clientHello(serverNameExtension('a\u0000.example'))));
    // A ServerHello (type 2) where a ClientHello belongs.
    const server = clientHello(serverNameExtension('a.example'));
    server[0] = 2;
    malformed(records(server));
    // A record version that is not 3.x, and an empty or oversized record.
    malformed(Buffer.from([22, 2, 0, 0, 4, 1, 0, 0, 0]));
    malformed(Buffer.from([22, 3, 1, 0, 0]));
    malformed(Buffer.from([22, 3, 1, 0x50, 0x00]));
    // An extension longer than the message that holds it.
    const short = clientHello([...u16(0), ...u16(200), 0, 0]);
    malformed(records(short));
    // A handshake cut by an application-data record.
    const hello = records(clientHello(serverNameExtension('a.example')), 20);
    const cut = Buffer.from(hello);
    cut[25] = 23;
    malformed(cut);
  });

  it('gives up past the byte bound without a whole ClientHello', () => {
    // A declared handshake length far beyond what arrives, in full-size records.
    const huge = Buffer.from([1, ...u24(0xffffff)]);
    let stream = records(Buffer.concat([huge, Buffer.alloc(20_000)]));
    expect(parseClientHello(stream).kind).toBe('need-more');
    while (stream.length < MAX_CLIENT_HELLO_BYTES) {
      stream = Buffer.concat([stream, records(Buffer.alloc(16_384))]);
    }
    expect(parseClientHello(stream)).toMatchObject({ kind: 'malformed' });
  });
});

describe('sameServerName', () => {
  it('compares without case and a final dot', () => {
    expect(sameServerName('Pkg.Example.ORG', 'pkg.example.org')).toBe(true);
    expect(sameServerName('pkg.example.org.', 'pkg.example.org')).toBe(true);
    expect(sameServerName('evil.example', 'pkg.example.org')).toBe(false);
    expect(sameServerName('pkg.example.org.evil.example', 'pkg.example.org')).toBe(false);
  });
});
