import { describe, expect, it } from 'vitest';
import { mirrorsEnabled } from './git-mirror.js';
import { fetchWants, parseAdvertisement } from './git-wants.js';
import { encodePacket } from './pkt-line.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const pkts = (...lines: string[]) =>
  Buffer.concat(
    lines.map((line) => (/^000[012]$/.test(line) ? Buffer.from(line) : encodePacket(line))),
  );

describe('fetchWants', () => {
  it('reads the wants of a v2 fetch and of a v0 request', () => {
    expect(
      fetchWants(
        pkts(
          'command=fetch\n',
          'agent=git/2.39\n',
          '0001',
          `want ${A}\n`,
          `want ${B}\n`,
          'done\n',
          '0000',
        ),
      ),
    ).toEqual([A, B]);
    expect(
      fetchWants(
        pkts(`want ${A} multi_ack_detailed side-band-64k\n`, `want ${B}\n`, '0000', 'done\n'),
      ),
    ).toEqual([A, B]);
  });

  it('leaves anything else to the upstream', () => {
    expect(fetchWants(pkts('command=ls-refs\n', '0001', 'peel\n', '0000'))).toBeNull();
    expect(
      fetchWants(pkts('command=fetch\n', '0001', 'want-ref refs/heads/main\n', '0000')),
    ).toBeNull();
    expect(fetchWants(pkts('command=fetch\n', '0001', 'want HEAD\n', '0000'))).toBeNull();
    expect(fetchWants(Buffer.from('00zzwant'))).toBeNull();
    expect(fetchWants(pkts('command=fetch\n', '0001', 'done\n', '0000'))).toBeNull();
  });
});

describe('parseAdvertisement', () => {
  it('collects every advertised object, peeled tags included', () => {
    const advert = parseAdvertisement(
      pkts(
        '# service=git-upload-pack\n',
        '0000',
        `${A} HEAD\0multi_ack object-format=sha1 agent=git/2\n`,
        `${A} refs/heads/main\n`,
        `${B} refs/tags/v1^{}\n`,
        '0000',
      ),
    );
    expect(advert?.oids).toEqual(new Set([A, B]));
    expect(advert?.objectFormat).toBe('sha1');
    const sha256 = parseAdvertisement(
      pkts(`${'c'.repeat(64)} HEAD\0object-format=sha256\n`, '0000'),
    );
    expect(sha256?.objectFormat).toBe('sha256');
  });

  it('is null for a v2 answer or a malformed one', () => {
    expect(
      parseAdvertisement(
        pkts('# service=git-upload-pack\n', '0000', 'version 2\n', 'ls-refs\n', '0000'),
      ),
    ).toBeNull();
    expect(parseAdvertisement(pkts('not-an-oid refs/heads/main\n', '0000'))).toBeNull();
    expect(parseAdvertisement(Buffer.from('0003'))).toBeNull();
  });
});

describe('mirrorsEnabled', () => {
  it('is on unless HANGAR_GIT_MIRROR=0', () => {
    expect(mirrorsEnabled({})).toBe(true);
    expect(mirrorsEnabled({ HANGAR_GIT_MIRROR: '1' })).toBe(true);
    expect(mirrorsEnabled({ HANGAR_GIT_MIRROR: '0' })).toBe(false);
  });
});
