import { describe, expect, it } from 'vitest';
import { backsImage } from './loop-device.js';

describe('backsImage', () => {
  const image = '/data/sandboxes/sbx_1/disk.img';

  it('matches the image, also once its file is deleted (the device is still attached)', () => {
    expect(backsImage(`${image}\n`, image)).toBe(true);
    expect(backsImage(`${image} (deleted)\n`, image)).toBe(true);
  });

  it('does not match another sandbox’s image sharing a prefix', () => {
    expect(backsImage('/data/sandboxes/sbx_1/disk.img2\n', image)).toBe(false);
    expect(backsImage('/data/sandboxes/sbx_10/disk.img\n', '/data/sandboxes/sbx_1')).toBe(false);
  });
});
