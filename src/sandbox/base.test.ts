import { describe, expect, it } from 'vitest';
import { parseFilefrag } from './base.js';

describe('parseFilefrag', () => {
  it('reads data extents in bytes and skips unwritten ones', () => {
    const text = `Filesystem type is: ef53
File size of disk.img is 1073741824 (262144 blocks of 4096 bytes)
 ext:     logical_offset:        physical_offset: length:   expected: flags:
   0:        0..    1029:   22348290..  22349319:   1030:
   1:     1045..    1045:   22349335..  22349335:      1:
   2:     2000..    2099:   22400000..  22400099:    100:             unwritten
   3:   131072..  131075:   22900736..  22900739:      4:   22400100: last,eof
disk.img: 4 extents found
`;
    expect(parseFilefrag(text)).toEqual([
      [0, 1030 * 4096],
      [1045 * 4096, 4096],
      [131072 * 4096, 4 * 4096],
    ]);
  });

  it('fails loudly on output it does not understand', () => {
    expect(() => parseFilefrag('filefrag: Operation not supported')).toThrow(/filefrag said/);
  });
});
