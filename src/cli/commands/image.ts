import type { Command } from 'commander';
import { dataDirFrom } from '../../data-dir.js';
import { table, type Io } from '../io.js';

/** `hangar image`: sandbox images on this host (the data dir's `images/`). */
export function registerImage(program: Command, io: Io): void {
  const image = program
    .command('image')
    .description('sandbox images: the root filesystems sandboxes run on')
    .exitOverride();
  const dataDir = () => dataDirFrom(io.env);

  image
    .command('build')
    .description(
      'build an image from Debian packages (default: universal), or import a container image with --from',
    )
    .argument('[name]', 'image name: universal, minimal, or your own (it starts from minimal)')
    .option(
      '--packages <names>',
      'more Debian packages, comma- or space-separated (repeatable)',
      (value: string, all: string[]) => [...all, ...value.split(/[\s,]+/).filter(Boolean)],
      [],
    )
    .option('--from <file>', 'import a container image tarball (docker save, or an OCI layout)')
    .action(async (name: string | undefined, options: { packages: string[]; from?: string }) => {
      const started = Date.now();
      const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`.padStart(5);
      const onProgress = (line: string) => io.err(`[${elapsed()}] ${line}`);
      let info;
      if (options.from !== undefined) {
        const { importImage } = await import('../../images/import.js');
        info = await importImage({
          dataDir: dataDir(),
          name: name ?? 'imported',
          tarball: options.from,
          onProgress,
        });
      } else {
        const { buildImage, DEFAULT_IMAGE } = await import('../../images/build.js');
        info = await buildImage({
          dataDir: dataDir(),
          name: name ?? DEFAULT_IMAGE,
          packages: options.packages,
          onProgress,
        });
      }
      const { formatSize } = await import('../../sandbox/limits.js');
      io.out(`Built image ${info.name} (${formatSize(info.sizeBytes)}) in ${elapsed().trim()}.`);
    });

  image
    .command('list')
    .alias('ls')
    .description('list the images built on this host')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { listImages } = await import('../../images/images.js');
      const { formatSize } = await import('../../sandbox/limits.js');
      const images = listImages(dataDir());
      if (options.json) {
        io.out(JSON.stringify(images, null, 2));
        return;
      }
      io.out(
        table(
          ['NAME', 'SOURCE', 'SIZE', 'BUILT'],
          images.map((i) => [
            i.name,
            i.source === 'import' ? `import ${i.from ?? ''}`.trim() : 'debian',
            formatSize(i.sizeBytes),
            i.builtAt,
          ]),
        ),
      );
    });

  image
    .command('rm')
    .description('remove images (refused while a running sandbox uses one)')
    .argument('<name...>', 'image names, from `hangar image list`')
    .action(async (names: string[]) => {
      const { removeImage } = await import('../../images/images.js');
      for (const name of names) {
        removeImage(dataDir(), name);
        io.out(`Removed image ${name}.`);
      }
    });
}
