import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import {
  formatSize,
  MIN_LIMITS,
  parseCpus,
  parsePids,
  parseSize,
  resolveLimits,
  specLimits,
} from './limits.js';

const G = 1024 ** 3;
const M = 1024 ** 2;
const host = { cpus: 2, memoryBytes: 24 * G, diskFreeBytes: 80 * G };

describe('parseSize', () => {
  it('reads binary units, with or without i/B, in any case', () => {
    expect(parseSize('512M', 'memory')).toBe(512 * M);
    expect(parseSize('1G', 'memory')).toBe(G);
    expect(parseSize('1.5GiB', 'memory')).toBe(1.5 * G);
    expect(parseSize('2048k', 'memory')).toBe(2 * M);
    expect(parseSize('64mb', 'memory')).toBe(64 * M);
    expect(parseSize('1000000', 'memory')).toBe(1_000_000);
    expect(parseSize(' 2 T ', 'disk')).toBe(2 * 1024 * G);
  });

  it('refuses text that is not a size, naming the field', () => {
    for (const bad of ['lots', '', '-1G', '1X', '1.2.3G', 'G', '1e9']) {
      expect(() => parseSize(bad, 'memory')).toThrow(ValidationError);
    }
    expect(() => parseSize('lots', 'memory')).toThrow(/^memory: "lots" is not a size/);
  });
});

describe('parseCpus and parsePids', () => {
  it('reads positive numbers', () => {
    expect(parseCpus('1')).toBe(1);
    expect(parseCpus('0.5')).toBe(0.5);
    expect(parsePids('256')).toBe(256);
  });

  it('refuses zero, negatives and words', () => {
    for (const bad of ['0', '-1', 'two', '1/2', '']) expect(() => parseCpus(bad)).toThrow(/cpus/);
    for (const bad of ['0', '1.5', 'many', '-3']) expect(() => parsePids(bad)).toThrow(/pids/);
  });
});

describe('resolveLimits', () => {
  it('uses the product defaults, capped by what the host has', () => {
    expect(resolveLimits({}, host)).toEqual({
      memoryBytes: 16 * G,
      cpus: 2,
      pids: 4096,
      diskBytes: 30 * G,
    });
    const small = { cpus: 8, memoryBytes: 4 * G, diskFreeBytes: 10 * G };
    expect(resolveLimits({}, small)).toEqual({
      memoryBytes: 4 * G,
      cpus: 4,
      pids: 4096,
      diskBytes: 10 * G,
    });
  });

  it('takes explicit values', () => {
    expect(resolveLimits({ memory: '512M', cpus: '1', pids: '256', disk: '1G' }, host)).toEqual({
      memoryBytes: 512 * M,
      cpus: 1,
      pids: 256,
      diskBytes: G,
    });
  });

  it('refuses explicit values the host cannot give, naming the flag', () => {
    expect(() => resolveLimits({ memory: '64G' }, host)).toThrow(/^memory: 64G is more than/);
    expect(() => resolveLimits({ cpus: '3' }, host)).toThrow(/^cpus: 3 is more than this host's 2/);
    expect(() => resolveLimits({ disk: '100G' }, host)).toThrow(/^disk: 100G is more than/);
  });

  it('refuses values too small to start a sandbox', () => {
    expect(() => resolveLimits({ memory: '1M' }, host)).toThrow(/^memory: must be at least 16M/);
    expect(() => resolveLimits({ pids: '2' }, host)).toThrow(/^pids: must be at least 8/);
    expect(() => resolveLimits({ disk: '1M' }, host)).toThrow(/^disk: must be at least 16M/);
  });
});

describe('formatSize', () => {
  it('prints the largest exact unit', () => {
    expect(formatSize(16 * G)).toBe('16G');
    expect(formatSize(512 * M)).toBe('512M');
    expect(formatSize(1.5 * G)).toBe('1536M');
    expect(formatSize(1000)).toBe('1000');
  });
});

describe('specLimits', () => {
  const defaults = resolveLimits({}, host);

  it('takes what the spec asks for over the defaults, pids as a whole count', () => {
    expect(specLimits({}, defaults)).toEqual(defaults);
    expect(specLimits({ memoryBytes: 512 * M, pids: 100.7 }, defaults)).toEqual({
      ...defaults,
      memoryBytes: 512 * M,
      pids: 100,
    });
  });

  it('refuses a limit below what a sandbox needs, or not a number, naming the field', () => {
    expect(() => specLimits({ memoryBytes: M }, defaults)).toThrow(
      new RegExp(`^memoryBytes: must be at least ${MIN_LIMITS.memoryBytes}\\.$`),
    );
    expect(() => specLimits({ cpus: 0 }, defaults)).toThrow(/^cpus: must be at least 0.01\.$/);
    expect(() => specLimits({ pids: Number.NaN }, defaults)).toThrow(/^pids: /);
    expect(() => specLimits({ diskBytes: -1 }, defaults)).toThrow(/^diskBytes: /);
  });
});
