import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HangarError } from '../errors.js';

/**
 * The loop device a sandbox's disk image is mounted through. It is attached by the
 * holder's `mount -o loop` and freed by the kernel once the holder's mount namespace
 * is gone, a moment after its last process: a start must wait for that, or the image
 * would be mounted twice.
 */

/** Whether a loop device's `backing_file` (as sysfs shows it) is `image`. */
export function backsImage(backingFile: string, image: string): boolean {
  const backing = backingFile.trim();
  return backing === image || backing === `${image} (deleted)`;
}

/** Loop devices whose backing file is `image` (as /sys/block shows them). */
export function loopDevicesFor(image: string): string[] {
  const devices: string[] = [];
  for (const name of readdirSync('/sys/block')) {
    if (!name.startsWith('loop')) continue;
    try {
      if (backsImage(readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8'), image)) {
        devices.push(name);
      }
    } catch {
      // Not attached.
    }
  }
  return devices;
}

/** Waits until no loop device holds `image`; a busy error after `timeoutMs`. */
export async function waitForLoopRelease(image: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (loopDevicesFor(image).length > 0) {
    if (Date.now() > deadline) {
      throw new HangarError(
        'sandbox_busy',
        409,
        `The disk ${image} is still attached to ${loopDevicesFor(image).join(', ')}; ` +
          'a process outside Hangar may hold it mounted.',
      );
    }
    await sleep(2);
  }
}
