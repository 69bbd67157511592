import { describe, expect, it } from 'vitest';
import { encodePacket, readAllPackets, type Packet } from './pkt-line.js';
import {
  checkPush,
  encodeRefusal,
  isValidBranchName,
  parsePushRequest,
  type PushRequest,
} from './push-rule.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);
const A256 = 'a'.repeat(64);
const B256 = 'b'.repeat(64);
const CAPS = 'report-status side-band-64k quiet object-format=sha1 agent=git/2.39';

const data = (text: string): Packet => ({ type: 'data', payload: Buffer.from(text, 'latin1') });

function parse(...lines: string[]): PushRequest {
  const result = parsePushRequest(lines.map(data));
  if (!result.ok) throw new Error(result.reason);
  return result.push;
}

function refused(push: PushRequest, branch = 'feature'): Record<string, string> | null {
  const verdicts = checkPush(push, branch);
  return verdicts && Object.fromEntries(verdicts.map((v) => [v.ref, v.reason ?? '']));
}

describe('parsePushRequest', () => {
  it('reads commands, capabilities after the NUL and shallow lines', () => {
    const push = parse(
      `shallow ${A}\n`,
      `${A} ${B} refs/heads/feature\0${CAPS}\n`,
      `${ZERO} ${B} refs/tags/v1\n`,
    );
    expect(push.commands).toEqual([
      { oldId: A, newId: B, ref: 'refs/heads/feature' },
      { oldId: ZERO, newId: B, ref: 'refs/tags/v1' },
    ]);
    expect(push.capabilities).toContain('side-band-64k');
    expect(push.signed).toBe(false);
  });

  it('reads SHA-256 object ids', () => {
    expect(parse(`${A256} ${B256} refs/heads/feature\0object-format=sha256\n`).commands[0]).toEqual(
      {
        oldId: A256,
        newId: B256,
        ref: 'refs/heads/feature',
      },
    );
  });

  it('fails closed on anything it cannot read', () => {
    for (const bad of [
      [data(`${A} ${B}\n`)],
      [data(`${A.slice(1)} ${B} refs/heads/feature\n`)],
      [data(`${A} ${B256} refs/heads/feature\n`)],
      [data(`${A}  ${B} refs/heads/feature\n`)],
      [data('')],
      [data('shallow nothex\n')],
      [{ type: 'delim' } as Packet],
      [data(`push-cert\0${CAPS}\n`), data('certificate version 0.1\n')],
    ]) {
      expect(parsePushRequest(bad).ok).toBe(false);
    }
  });

  it('notes a signed push and the commands inside its certificate', () => {
    const push = parse(
      `push-cert\0${CAPS}\n`,
      'certificate version 0.1\n',
      'pusher someone\n',
      '\n',
      `${A} ${B} refs/heads/feature\n`,
      '-----BEGIN PGP SIGNATURE-----\n',
      'push-cert-end\n',
    );
    expect(push.signed).toBe(true);
    expect(refused(push)).toEqual({
      'refs/heads/feature': 'signed pushes (push-cert) are not accepted by Hangar',
    });
  });
});

describe('checkPush', () => {
  it('lets the session branch be created, updated and force-updated', () => {
    expect(refused(parse(`${ZERO} ${B} refs/heads/feature\0${CAPS}`))).toBeNull();
    expect(refused(parse(`${A} ${B} refs/heads/feature\0${CAPS}`))).toBeNull();
    expect(refused(parse(`${A256} ${B256} refs/heads/feature`))).toBeNull();
    expect(refused(parse(`${A} ${B} refs/heads/x/y`), 'x/y')).toBeNull();
  });

  it('refuses the probe nothing: an empty command list is not a refusal', () => {
    expect(refused(parse())).toBeNull();
  });

  it('refuses deleting the session branch', () => {
    expect(refused(parse(`${A} ${ZERO} refs/heads/feature`))).toEqual({
      'refs/heads/feature': 'this session may not delete refs/heads/feature',
    });
  });

  it('refuses every other ref, and then the whole push', () => {
    for (const ref of [
      'refs/heads/main',
      'refs/tags/v1',
      'refs/heads/x/../main',
      'refs/heads/feature2',
      'refs/heads/Feature',
      'refs/heads/feature/sub',
      'refs/remotes/origin/feature',
      'HEAD',
      'feature',
      'refs/heads/feature\n\n',
      'refs/heads/feature ',
    ]) {
      // git chomps one LF, as the parser does: `feature\n\n` names `feature\n`.
      const named = ref.endsWith('\n') ? ref.slice(0, -1) : ref;
      expect(refused(parse(`${A} ${B} ${ref}`)), ref).toEqual({
        [named]: 'this session may push only to refs/heads/feature',
      });
    }
    expect(
      refused(parse(`${A} ${B} refs/heads/feature\0${CAPS}`, `${A} ${B} refs/heads/main`)),
    ).toEqual({
      'refs/heads/feature': 'refused with the rest of this push (another ref was refused)',
      'refs/heads/main': 'this session may push only to refs/heads/feature',
    });
  });
});

describe('encodeRefusal', () => {
  const verdicts = [
    { ref: 'refs/heads/main', reason: 'this session may push only to refs/heads/feature' },
  ];

  it('writes unpack ok and one ng per ref', () => {
    expect(encodeRefusal(verdicts, ['report-status']).toString()).toBe(
      Buffer.concat([
        encodePacket('unpack ok\n'),
        encodePacket('ng refs/heads/main this session may push only to refs/heads/feature\n'),
        Buffer.from('0000'),
      ]).toString(),
    );
  });

  it('wraps the report in side-band channel 1 with a note on channel 2', () => {
    const packets = readAllPackets(encodeRefusal(verdicts, ['report-status', 'side-band-64k']));
    expect(packets.at(-1)).toEqual({ type: 'flush' });
    const bands = packets.flatMap((p) => (p.type === 'data' ? [p.payload] : []));
    expect(bands[0]?.[0]).toBe(2);
    expect(bands[0]?.subarray(1).toString()).toMatch(
      /^Hangar refused this push: this session may push only/,
    );
    const report = Buffer.concat(
      bands.filter((band) => band[0] === 1).map((band) => band.subarray(1)),
    );
    expect(
      readAllPackets(report).map((p) => (p.type === 'data' ? p.payload.toString() : p.type)),
    ).toEqual([
      'unpack ok\n',
      'ng refs/heads/main this session may push only to refs/heads/feature\n',
      'flush',
    ]);
  });

  it('never lets a ref name break the framing', () => {
    const text = encodeRefusal([{ ref: 'refs/heads/a\nb', reason: 'x' }], []).toString();
    expect(text).toContain('ng refs/heads/a?b x\n');
  });
});

describe('isValidBranchName', () => {
  it('follows git check-ref-format for branches', () => {
    for (const ok of ['feature', 'hangar/fix-flaky-test', 'a.b', 'v1.2'])
      expect(isValidBranchName(ok), ok).toBe(true);
    for (const bad of [
      '',
      '@',
      '-x',
      'a..b',
      'a b',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[',
      'a\\b',
      'a@{1}',
      'a//b',
      '/a',
      'a/',
      'a.',
      'a.lock',
      'a/.b',
      '.a',
      'a\0',
    ]) {
      expect(isValidBranchName(bad), bad).toBe(false);
    }
  });
});
