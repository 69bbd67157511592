// Sandbox images: `hangar image build|list|rm` with the real mmdebstrap, sandboxes on an
// image, and importing container image tarballs (including hostile ones).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HANGAR_BIN, isolatedEnv, runHangar } from './hangar.js';
import { minimalImage } from './images.js';
import { requireSandboxHost, sh, testDriver } from './sandbox-helpers.js';

requireSandboxHost();
const env = isolatedEnv();
const dataDir = env.HANGAR_DATA_DIR ?? '';
const work = mkdtempSync(join(tmpdir(), 'hangar-images-'));
const driver = testDriver();

afterAll(() => {
  driver.cleanupGroup();
  rmSync(work, { recursive: true, force: true });
});

describe('hangar image', () => {
  it(
    'builds minimal, lists it, and runs a sandbox on it that sees nothing of the host',
    async () => {
      expect(existsSync(HANGAR_BIN), 'run `npm run build` first').toBe(true);
      await minimalImage(dataDir);
      const list = await runHangar(['image', 'list'], env);
      expect(list.stdout).toMatch(/^minimal\s+debian\s+\d+(\.\d+)?M\s/m);

      const inside = await runHangar(
        [
          'sandbox',
          'run',
          '--image',
          'minimal',
          '--network',
          'none',
          '--',
          'sh',
          '-c',
          // The host has node, the checkout and its data dir; the image has none of them.
          `. /etc/os-release; echo $ID; command -v node || echo no-node; ls ${dataDir} 2>&1 || true; git --version; cat /etc/hostname`,
        ],
        env,
      );
      expect(inside.code).toBe(0);
      const lines = inside.stdout.split('\n');
      expect(lines[0]).toBe('debian');
      expect(lines[1]).toBe('no-node');
      expect(lines[2]).toMatch(/No such file or directory/);
      expect(lines[3]).toMatch(/^git version /);
      expect(lines[4]).toBe('sandbox');
      // check-tools lists what the image has.
      const tools = await runHangar(
        ['sandbox', 'run', '--image', 'minimal', '--', 'check-tools'],
        env,
      );
      expect(tools.stdout).toMatch(/Utilities\s+git\s+\d+\.\d+/);
      expect(tools.stdout).not.toMatch(/\bnode\b/);
    },
    20 * 60_000,
  );

  it(
    'refuses to remove an image a running sandbox uses, and removes it once stopped',
    async () => {
      const root = await minimalImage(driver.dataDir);
      const box = await driver.create({ rootfs: root });
      const denv = { ...env, HANGAR_DATA_DIR: driver.dataDir };
      try {
        // Writes stay in the sandbox: the image is a read-only base.
        expect((await sh(box, 'echo mine > /etc/mine', { user: 'root' })).code).toBe(0);
        expect(existsSync(join(root, 'etc/mine'))).toBe(false);
        const refused = await runHangar(['image', 'rm', 'minimal'], denv);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`in use by running sandbox ${box.id}: stop it first`);
        expect(existsSync(root)).toBe(true);
        await box.stop();
        const removed = await runHangar(['image', 'rm', 'minimal'], denv);
        expect(removed.stdout).toBe('Removed image minimal.\n');
        expect((await runHangar(['image', 'list'], denv)).stdout).not.toContain('minimal');
        await expect(box.start()).rejects.toThrow(/its image or setup cache was removed/);
      } finally {
        await box.destroy();
      }
    },
    20 * 60_000,
  );

  it(
    'fails a build naming a package apt does not know, with apt’s message, leaving no image',
    async () => {
      const result = await runHangar(
        ['image', 'build', 'broken', '--packages', 'hangar-no-such-package'],
        env,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/\[\s*\d+s\] I: /); // progress was shown
      expect(result.stderr).toMatch(/E: .*hangar-no-such-package/);
      expect((await runHangar(['image', 'list'], env)).stdout).not.toContain('broken');
      expect(readdirSync(join(dataDir, 'images', 'broken', 'builds'))).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    'fails a build that fills its disk, saying so, and leaves no image',
    async () => {
      // A data dir on a 64 MB tmpfs: minimal's packages alone are more than that.
      const small = join(work, 'small-disk');
      mkdirSync(small);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64M,mode=0700', 'tmpfs', small]);
      try {
        const result = await runHangar(['image', 'build', 'minimal'], {
          ...env,
          HANGAR_DATA_DIR: small,
        });
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/Building the image failed/);
        expect(result.stderr).toMatch(/No space left on device/);
        expect(readdirSync(join(small, 'images', 'minimal', 'builds'))).toEqual([]);
        expect(existsSync(join(small, 'images', 'minimal', 'image.json'))).toBe(false);
      } finally {
        execFileSync('umount', [small]);
      }
    },
    10 * 60_000,
  );

  it('refuses a package name that is not one before building anything', async () => {
    const result = await runHangar(['image', 'build', 'x', '--packages', 'foo;rm -rf /'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('is not a Debian package name');
  });
});

/** Writes a tar with Python's tarfile, which can say anything a hostile archive says. */
function pythonTar(file: string, script: string): void {
  execFileSync('python3', [
    '-c',
    `import tarfile, io, sys\nt = tarfile.open(sys.argv[1], 'w')\n` +
      `def add(name, data=b'', **kw):\n` +
      `    i = tarfile.TarInfo(name); i.size = len(data)\n` +
      `    for k, v in kw.items(): setattr(i, k, v)\n` +
      `    t.addfile(i, io.BytesIO(data))\n` +
      `${script}\nt.close()`,
    file,
  ]);
}

/** A `docker save` archive of the given layer tarballs. */
function dockerSave(dir: string, layers: string[]): string {
  mkdirSync(dir, { recursive: true });
  const names = layers.map((layer, i) => {
    mkdirSync(join(dir, `l${i}`));
    execFileSync('cp', [layer, join(dir, `l${i}`, 'layer.tar')]);
    return `l${i}/layer.tar`;
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: 'c.json', Layers: names }]));
  writeFileSync(join(dir, 'c.json'), '{}');
  const out = `${dir}.tar`;
  execFileSync('tar', ['-C', dir, '-cf', out, '.']);
  return out;
}

describe('hangar image build --from', () => {
  const tiny = join(work, 'tiny');
  mkdirSync(tiny);
  execFileSync(new URL('../../fixtures/sandbox/make-rootfs.sh', import.meta.url).pathname, [tiny]);
  mkdirSync(join(tiny, 'opt/gone'), { recursive: true });
  writeFileSync(join(tiny, 'opt/gone/file'), 'lower\n');
  const base = join(work, 'base.tar');
  execFileSync('tar', ['-C', tiny, '-cf', base, '.']);

  it('imports a docker save archive: layers in order, whiteouts and opaque directories applied', async () => {
    const top = join(work, 'top.tar');
    pythonTar(
      top,
      `add('etc/.wh.issue')\nadd('etc/motd', b'from layer 2\\n')\n` +
        `add('opt/gone/.wh..wh..opq')\nadd('opt/gone/new', b'upper\\n')`,
    );
    const archive = dockerSave(join(work, 'save'), [base, top]);
    const built = await runHangar(['image', 'build', 'tiny', '--from', archive], env);
    expect(built.stderr).toContain('applying layer 2 of 2');
    expect(built.code).toBe(0);
    const inside = await runHangar(
      [
        'sandbox',
        'run',
        '--image',
        'tiny',
        '--',
        'sh',
        '-c',
        'cat /etc/motd; ls /etc; ls /opt/gone',
      ],
      env,
    );
    expect(inside.code).toBe(0);
    expect(inside.stdout).toContain('from layer 2\n');
    expect(inside.stdout).not.toContain('issue');
    expect(inside.stdout).toContain('new\n');
    expect(inside.stdout).not.toMatch(/^file$/m);
  }, 120_000);

  it('imports an OCI layout with gzip layers', async () => {
    const dir = join(work, 'oci');
    mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
    execFileSync('sh', ['-c', `gzip -c "$0" > "$1"`, base, join(work, 'base.tar.gz')]);
    const digest = (file: string) =>
      execFileSync('sha256sum', [file]).toString().split(' ')[0] ?? '';
    const layer = digest(join(work, 'base.tar.gz'));
    execFileSync('cp', [join(work, 'base.tar.gz'), join(dir, 'blobs/sha256', layer)]);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layer}` },
      ],
    });
    writeFileSync(join(work, 'manifest'), manifest);
    const m = digest(join(work, 'manifest'));
    writeFileSync(join(dir, 'blobs/sha256', m), manifest);
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${m}` },
        ],
      }),
    );
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    execFileSync('tar', ['-C', dir, '-cf', `${dir}.tar`, '.']);
    const built = await runHangar(['image', 'build', 'oci', '--from', `${dir}.tar`], env);
    expect(built.code).toBe(0);
    const inside = await runHangar(
      ['sandbox', 'run', '--image', 'oci', '--', 'cat', '/etc/issue'],
      env,
    );
    expect(inside.stdout).toBe('tiny rootfs for hangar tests\n');
  }, 120_000);

  describe('a hostile archive writes nothing outside the image', () => {
    const target = join(work, 'target');
    mkdirSync(target);
    const attacks: [string, string, string][] = [
      ['a ../ path', `add('../../../../..${target}/dotdot', b'x')`, ''],
      ['an absolute path', `add('${target}/absolute', b'x')`, ''],
      [
        'a symlink to an outside directory, written through by a later layer',
        `add('etc/evil', type=tarfile.SYMTYPE, linkname='${target}')`,
        `add('etc/evil/through-link', b'x')`,
      ],
      [
        'a relative symlink climbing out, written through',
        `add('up', type=tarfile.SYMTYPE, linkname='../../../../../../..${target}')`,
        `add('up/climbed', b'x')`,
      ],
      [
        'a hard link to a host file',
        `add('etc/shadow-copy', type=tarfile.LNKTYPE, linkname='../../../../../../../etc/shadow')`,
        '',
      ],
    ];
    for (const [what, first, second] of attacks) {
      it(
        what,
        async () => {
          const name = `attack${attacks.findIndex((a) => a[0] === what)}`;
          const one = join(work, `${name}-1.tar`);
          const two = join(work, `${name}-2.tar`);
          pythonTar(one, first);
          pythonTar(two, second || `add('etc/ok', b'ok')`);
          const archive = dockerSave(join(work, name), [base, one, two]);
          const result = await runHangar(['image', 'build', name, '--from', archive], env);
          expect(readdirSync(target)).toEqual([]);
          if (result.code === 0) {
            // Accepted: then whatever was written is inside the image only.
            const listed = await runHangar(['image', 'list', '--json'], env);
            expect(listed.stdout).toContain(`"name": "${name}"`);
          } else {
            expect(result.stderr).toMatch(
              /points outside the image|not a directory|not a file of the image/,
            );
            expect(readdirSync(join(dataDir, 'images', name, 'builds'))).toEqual([]);
          }
        },
        60_000,
      );
    }
  });
});
