import { describe, expect, it } from 'vitest';
import { changedFiles } from './pull-requests.js';

describe('changedFiles', () => {
  it("lists git status's paths, a rename once (its new name), spaces kept", () => {
    expect(changedFiles('')).toEqual([]);
    expect(changedFiles(' M src/a.ts\0?? notes.txt\0')).toEqual(['src/a.ts', 'notes.txt']);
    expect(changedFiles('R  new name.ts\0old name.ts\0A  b.ts\0')).toEqual(['new name.ts', 'b.ts']);
  });
});
