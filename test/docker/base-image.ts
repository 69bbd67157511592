import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostAptSources, hostSuite } from '../../src/images/build.js';

/**
 * The base image Hangar's Dockerfile builds FROM (its NODE_IMAGE argument), made here:
 * no registry can be reached to pull `node:20-bookworm-slim`. It is Debian from the
 * host's own apt sources (mmdebstrap, as `hangar image build` makes images), apt kept so
 * the Dockerfile can install its packages, and this host's Node.js and npm (what runs the
 * tests) copied in. Made once per Docker data root.
 */
export const NODE_BASE_IMAGE = 'hangar-test/node:20-bookworm';

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function imageExists(tag: string): boolean {
  try {
    docker('image', 'inspect', tag);
    return true;
  } catch {
    return false;
  }
}

const NODE_FILES = ['usr/bin/node', 'usr/bin/npm', 'usr/bin/npx', 'usr/lib/node_modules/npm'];

/** Makes NODE_BASE_IMAGE unless the engine already has it. */
export function ensureNodeBaseImage(): string {
  if (imageExists(NODE_BASE_IMAGE)) return NODE_BASE_IMAGE;
  const work = mkdtempSync(join(tmpdir(), 'hangar-node-base-'));
  try {
    const tarball = join(work, 'root.tar');
    execFileSync(
      'mmdebstrap',
      [
        '--variant=apt',
        '--dpkgopt=force-unsafe-io',
        '--include=ca-certificates',
        // node, and npm as this host has it (npm may be newer than its Debian package);
        // the certificate authorities this host trusts (a site's own, for its proxy).
        `--customize-hook=tar -C / -cf - ${NODE_FILES.join(' ')} | tar -C "$1" -xf -`,
        '--customize-hook=cp -a /usr/local/share/ca-certificates/. "$1/usr/local/share/ca-certificates/"',
        '--customize-hook=chroot "$1" update-ca-certificates',
        hostSuite(),
        tarball,
        ...hostAptSources(),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    // Node trusts its own list only: NODE_EXTRA_CA_CERTS adds the system's (npm in the build).
    docker(
      'import',
      '--change',
      'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      '--change',
      'CMD ["node"]',
      tarball,
      NODE_BASE_IMAGE,
    );
    return NODE_BASE_IMAGE;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
