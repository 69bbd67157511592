import { describe, expect, it } from 'vitest';
import { parseDotenv } from './dotenv.js';

describe('parseDotenv', () => {
  it('reads KEY=value lines, skipping comments and blank lines', () => {
    const text = '# settings\nAPI_URL=https://example.com/a=b\n\n  # indented comment\n_X1=\r\n';
    expect(parseDotenv(text)).toEqual({
      vars: { API_URL: 'https://example.com/a=b', _X1: '' },
      errors: [],
    });
  });

  it('keeps quotes and spaces as part of the value', () => {
    const { vars } = parseDotenv(`A="quoted"\nB='single'\nC= spaced \nD=x # not a comment`);
    expect(vars).toEqual({ A: '"quoted"', B: "'single'", C: ' spaced ', D: 'x # not a comment' });
  });

  it('names the line of every bad entry', () => {
    const { errors } = parseDotenv('GOOD=1\nno equals\n1BAD=2\nexport X=3\nGOOD=again\n=empty');
    expect(errors).toEqual([
      { line: 2, message: 'expected KEY=value' },
      { line: 3, message: expect.stringContaining('"1BAD" is not a valid name') as string },
      { line: 4, message: expect.stringContaining('drop the "export"') as string },
      { line: 5, message: 'GOOD is already set on line 1' },
      { line: 6, message: expect.stringContaining('"" is not a valid name') as string },
    ]);
  });
});
