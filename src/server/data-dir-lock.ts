import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '../errors.js';

/**
 * One `hangar serve` per data dir: the embedded store and the sandboxes there must
 * not be driven by two processes at once. A lock left by a process that died is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'serve.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new HangarError(
          'data_dir_in_use',
          409,
          `Another hangar serve (pid ${pid}) is using ${dataDir}: stop it first, or set HANGAR_DATA_DIR to another directory.`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new HangarError('data_dir_in_use', 409, `Could not lock ${dataDir}; try again.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
