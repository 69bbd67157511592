import { encodePacket, encodeSideband, FLUSH_PKT, type Packet } from './pkt-line.js';

/** One `old new ref` line of a push (gitprotocol-pack(5), "Reference Update Request"). */
export interface PushCommand {
  oldId: string;
  newId: string;
  ref: string;
}

/** The command section of a receive-pack request, before the packfile. */
export interface PushRequest {
  commands: PushCommand[];
  /** Every capability named after a NUL, on any line (git reads them from any line). */
  capabilities: string[];
  /** A signed push (`push-cert`): its commands sit inside the certificate. */
  signed: boolean;
}

export type ParsedPush = { ok: true; push: PushRequest } | { ok: false; reason: string };

const COMMAND = /^([0-9a-fA-F]{40}|[0-9a-fA-F]{64}) ([0-9a-fA-F]{40}|[0-9a-fA-F]{64}) (.+)$/s;
const SHALLOW = /^shallow ([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;

/**
 * Parses the packets up to (not including) the flush that ends the command list.
 * Anything that is not a shallow line, a command or a push certificate fails: what
 * we cannot read, we do not forward.
 */
export function parsePushRequest(packets: Packet[]): ParsedPush {
  const commands: PushCommand[] = [];
  const capabilities = new Set<string>();
  let signed = false;
  let inCert = false;
  for (const packet of packets) {
    if (packet.type !== 'data') return { ok: false, reason: `unexpected ${packet.type} packet` };
    let text = packet.payload.toString('latin1');
    // git's reader chomps one trailing LF, then the line ends at the first NUL.
    if (text.endsWith('\n')) text = text.slice(0, -1);
    const nul = text.indexOf('\0');
    const line = nul === -1 ? text : text.slice(0, nul);
    if (nul !== -1) {
      for (const cap of text.slice(nul + 1).split(' ')) if (cap !== '') capabilities.add(cap);
    }
    if (inCert) {
      if (line === 'push-cert-end') inCert = false;
      const command = COMMAND.exec(line);
      if (command) commands.push(toCommand(command));
      continue;
    }
    if (line.startsWith('push-cert')) {
      signed = true;
      inCert = true;
      continue;
    }
    if (line.startsWith('shallow ')) {
      if (!SHALLOW.test(line)) return { ok: false, reason: 'malformed shallow line' };
      continue;
    }
    const command = COMMAND.exec(line);
    if (!command) return { ok: false, reason: `malformed command "${printable(line)}"` };
    const parsed = toCommand(command);
    if (parsed.oldId.length !== parsed.newId.length) {
      return { ok: false, reason: 'old and new object ids differ in length' };
    }
    commands.push(parsed);
  }
  if (inCert) return { ok: false, reason: 'push certificate without push-cert-end' };
  return { ok: true, push: { commands, capabilities: [...capabilities], signed } };
}

function toCommand(match: RegExpExecArray): PushCommand {
  return { oldId: match[1] ?? '', newId: match[2] ?? '', ref: match[3] ?? '' };
}

export interface RefVerdict {
  ref: string;
  /** Set when this ref is refused: the text after `ng <ref> `. */
  reason?: string;
}

const isZero = (id: string) => /^0+$/.test(id);

/**
 * The push rule: every command must update exactly `refs/heads/<branch>` (creating
 * and force-updating are fine, deleting is not). One bad ref refuses the whole push.
 * Returns null when the push may go on, else a verdict per ref.
 */
export function checkPush(push: PushRequest, branch: string): RefVerdict[] | null {
  const own = `refs/heads/${branch}`;
  const verdicts: RefVerdict[] = push.commands.map(({ ref, newId }) => {
    if (push.signed) return { ref, reason: 'signed pushes (push-cert) are not accepted by Hangar' };
    if (ref !== own) return { ref, reason: `this session may push only to ${own}` };
    if (isZero(newId)) return { ref, reason: `this session may not delete ${own}` };
    return { ref };
  });
  if (push.signed && verdicts.length === 0) {
    verdicts.push({ ref: own, reason: 'signed pushes (push-cert) are not accepted by Hangar' });
  }
  if (verdicts.every((verdict) => verdict.reason === undefined)) return null;
  return verdicts.map((verdict) =>
    verdict.reason === undefined
      ? { ref: verdict.ref, reason: 'refused with the rest of this push (another ref was refused)' }
      : verdict,
  );
}

/**
 * The receive-pack result for a refused push: `unpack ok`, one `ng` per ref, flush;
 * inside side-band channel 1 when the client asked for side-band (as receive-pack
 * does), with a progress line on channel 2 so `git push` shows "remote: …".
 */
export function encodeRefusal(verdicts: RefVerdict[], capabilities: readonly string[]): Buffer {
  const report = Buffer.concat([
    encodePacket('unpack ok\n'),
    ...verdicts.map((v) => encodePacket(`ng ${printable(v.ref)} ${printable(v.reason ?? '')}\n`)),
    FLUSH_PKT,
  ]);
  const packetMax = capabilities.includes('side-band-64k')
    ? 65_520
    : capabilities.includes('side-band')
      ? 1000
      : 0;
  if (packetMax === 0) return report;
  const first = verdicts.find(
    (v) => v.reason !== undefined && !v.reason.startsWith('refused with'),
  );
  const note = `Hangar refused this push: ${first?.reason ?? 'a ref was refused'}.\n`;
  return Buffer.concat([
    encodeSideband(2, Buffer.from(note), packetMax),
    encodeSideband(1, report, packetMax),
    FLUSH_PKT,
  ]);
}

function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, '?');
}

/**
 * Whether a branch name is one git accepts (git-check-ref-format(1), the rules that
 * matter for `refs/heads/<name>`), so the rule's one allowed ref is unambiguous.
 */
export function isValidBranchName(name: string): boolean {
  if (name === '' || name === '@' || name.startsWith('-')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|^\/|\/$|\.$|\.lock$|\.lock\/|(^|\/)\./.test(name)) {
    return false;
  }
  return true;
}
