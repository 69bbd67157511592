import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  BoundedRead,
  formatBytes,
  LineSplitter,
  OutputLimitError,
  OutputTimeoutError,
  type OutputBound,
} from './bounded-output.js';

const bound = (maxBytes: number, what = 'the output'): OutputBound => ({
  what,
  maxBytes,
  setting: 'HANGAR_TEST_MB',
});

/** Writes `chunks` into `writer` one after another, as a pipe would, and waits for each. */
async function feed(writer: Writable, chunks: (string | Buffer)[]): Promise<void> {
  for (const chunk of chunks) {
    await new Promise<void>((resolve, reject) => {
      writer.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }
}

describe('LineSplitter', () => {
  it('splits lines across chunks, drops CR before LF and keeps a split character whole', () => {
    const splitter = new LineSplitter(bound(100));
    const euro = Buffer.from('€');
    expect(splitter.push(Buffer.from('one\r\ntw'))).toEqual(['one']);
    expect(splitter.push(Buffer.concat([Buffer.from('o '), euro.subarray(0, 1)]))).toEqual([]);
    expect(splitter.push(Buffer.concat([euro.subarray(1), Buffer.from('\n\nthree')]))).toEqual([
      'two €',
      '',
    ]);
    expect(splitter.rest()).toBe('three');
    expect(splitter.rest()).toBeUndefined();
  });

  it('refuses a line longer than its bound, even when it never ends', () => {
    const splitter = new LineSplitter(bound(10, 'a line'));
    expect(splitter.push(Buffer.from('0123456789\n'))).toEqual(['0123456789']);
    expect(splitter.push(Buffer.from('01234'))).toEqual([]);
    expect(() => splitter.push(Buffer.from('567890'))).toThrow(OutputLimitError);
    expect(() => new LineSplitter(bound(4)).push(Buffer.from('12345\n'))).toThrow(
      /passed its limit of 4 bytes/,
    );
  });
});

describe('BoundedRead', () => {
  it('hands lines on until a line passes its bound, then stops and aborts', async () => {
    const read = new BoundedRead();
    const lines: string[] = [];
    const writer = read.lines(read.budget(bound(1000)), bound(8, 'a line of output'), (l) =>
      lines.push(l),
    );
    await feed(writer, ['ab\ncd', 'ef\n', 'x'.repeat(9), 'more\n']);
    writer.flushRest();
    expect(lines).toEqual(['ab', 'cdef']);
    expect(read.signal.aborted).toBe(true);
    expect(() => read.finish()).toThrow('A line of output passed its limit of 8 bytes');
  });

  it('counts every stream of a read against one budget', async () => {
    const read = new BoundedRead();
    const budget = read.budget(bound(10, "the agent's output in one turn"));
    const out = read.collect(budget);
    const err = read.collect(budget);
    await feed(out, ['12345']);
    await feed(err, ['1234']);
    expect(read.signal.aborted).toBe(false);
    await feed(err, ['56']);
    await feed(out, ['more']);
    expect(read.signal.aborted).toBe(true);
    expect(out.text()).toBe('12345');
    expect(err.text()).toBe('1234');
    expect(read.failed).toBeInstanceOf(OutputLimitError);
    expect(read.failed?.message).toMatch(/^The agent's output in one turn passed its limit/);
    expect(read.failed?.message).toContain('HANGAR_TEST_MB');
  });

  it('truncates without failing when asked to', async () => {
    const read = new BoundedRead();
    const budget = read.budget(bound(6), 'truncate');
    const out = read.collect(budget);
    await feed(out, ['1234', '5678', '90']);
    expect(out.text()).toBe('123456');
    expect(budget.truncated).toBe(true);
    expect(read.signal.aborted).toBe(true);
    expect(() => read.finish()).not.toThrow();
  });

  it('waits for a slow consumer before taking the next chunk', async () => {
    const read = new BoundedRead();
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const writer = read.writer(read.budget(bound(100)), (chunk) => {
      seen.push(chunk.toString());
      return new Promise<void>((resolve) => (release = resolve));
    });
    const first = feed(writer, ['a']);
    const second = feed(writer, ['b']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(['a']);
    release();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual(['a', 'b']);
    release();
    await second;
  });

  it('ends the read when its time is up', async () => {
    const read = new BoundedRead({ timeout: { ms: 30, what: 'reading the conversation' } });
    await new Promise((resolve) => read.signal.addEventListener('abort', resolve));
    expect(() => read.finish()).toThrow(OutputTimeoutError);
    expect(read.failed?.message).toBe(
      'Reading the conversation did not finish within 0 s, so Hangar ended it.',
    );
  });

  it("follows the caller's signal without calling it a bound", () => {
    const caller = new AbortController();
    const read = new BoundedRead({ signal: caller.signal });
    caller.abort();
    expect(read.signal.aborted).toBe(true);
    expect(() => read.finish()).not.toThrow();
  });

  it('saves to a file only what fits, keeping the last good copy otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-bounded-'));
    const path = join(dir, 'conversation.jsonl');
    const good = new BoundedRead();
    const file = good.toFile(good.budget(bound(10)), path);
    await feed(file, ['{"a":1}\n']);
    await file.save();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const bad = new BoundedRead();
    const flood = bad.toFile(bad.budget(bound(10, 'the conversation file')), path);
    await feed(flood, ['0123456789', 'x']);
    await expect(flood.save()).rejects.toThrow(/The conversation file passed its limit/);
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    expect(existsSync(`${path}.partial`)).toBe(false);

    const gone = new BoundedRead();
    const discarded = gone.toFile(gone.budget(bound(10)), path);
    await feed(discarded, ['{}']);
    await discarded.discard();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('stops an endless real stream at its bound and lets the process be killed', async () => {
    // `cat /dev/zero` is what a symlinked conversation file turns into.
    const read = new BoundedRead();
    const out = read.collect(read.budget(bound(1024 * 1024)));
    const child = spawn('cat', ['/dev/zero'], { stdio: ['ignore', 'pipe', 'ignore'] });
    read.signal.addEventListener('abort', () => {
      child.kill('SIGKILL');
      child.stdout.destroy();
    });
    child.stdout.pipe(out);
    await new Promise((resolve) => child.on('close', resolve));
    expect(Buffer.byteLength(out.text())).toBeLessThanOrEqual(1024 * 1024);
    expect(read.failed).toBeInstanceOf(OutputLimitError);
  });
});

describe('formatBytes', () => {
  it('names limits in MB, KB or bytes', () => {
    expect(formatBytes(16 * 1024 * 1024)).toBe('16 MB');
    expect(formatBytes(1536 * 1024)).toBe('1.5 MB');
    expect(formatBytes(4096)).toBe('4 KB');
    expect(formatBytes(100)).toBe('100 bytes');
  });
});
