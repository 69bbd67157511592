import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { HangarError } from '../errors.js';

/**
 * Reading what a sandbox writes, within bounds. All of it is in the sandbox's hands: a
 * line with no end, output with no end, a file that is really `/dev/zero`, a command
 * that never exits. The host reads exec output only through the writers made here; the
 * first bound passed stops the reading, ends the command (through the exec's `signal`)
 * and is kept, so the caller fails that one session with a reason — never the server.
 */

/** One bound: how many bytes of what, and the operator setting that raises it. */
export interface OutputBound {
  /** What is bounded, as the failure message names it: "the agent's output in one turn". */
  what: string;
  maxBytes: number;
  /** The setting that raises it, e.g. `HANGAR_MAX_TURN_OUTPUT_MB`. */
  setting: string;
}

/** A read from a sandbox passed one of its bounds; the session it belongs to fails with it. */
export class OutputBoundError extends HangarError {}

/** A sandbox wrote more than a bound allows. */
export class OutputLimitError extends OutputBoundError {
  constructor(readonly bound: OutputBound) {
    super(
      'output_limit',
      413,
      `${upperFirst(bound.what)} passed its limit of ${formatBytes(bound.maxBytes)}, so Hangar ` +
        `stopped reading it and ended the command. Make it produce less, or ask the operator ` +
        `to raise ${bound.setting}.`,
      { setting: bound.setting, maxBytes: bound.maxBytes },
    );
  }
}

/** A read from a sandbox took longer than allowed. */
export class OutputTimeoutError extends OutputBoundError {
  constructor(what: string, ms: number) {
    super(
      'output_timeout',
      422,
      `${upperFirst(what)} did not finish within ${Math.round(ms / 1000)} s, so Hangar ended it.`,
    );
  }
}

export interface BoundedReadOptions {
  /** The caller's own signal (an interrupt, a setup timeout): it ends the command too. */
  signal?: AbortSignal;
  /** A wall-clock bound on the whole read. */
  timeout?: { ms: number; what: string };
}

/**
 * One bounded read of one exec's output. Hand `signal` to the exec: it aborts when a
 * bound is passed, when the timeout fires or when the caller's signal does; the driver
 * then kills the command and closes its pipes. After the exec returns, `finish()` throws
 * what stopped it, if a bound did.
 */
export class BoundedRead {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private failure: OutputBoundError | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(options: BoundedReadOptions = {}) {
    this.signal = options.signal
      ? AbortSignal.any([this.controller.signal, options.signal])
      : this.controller.signal;
    const { timeout } = options;
    if (timeout) {
      this.timer = setTimeout(
        () => this.fail(new OutputTimeoutError(timeout.what, timeout.ms)),
        timeout.ms,
      );
      this.timer.unref();
    }
  }

  /** What stopped the read, if a bound or the timeout did. */
  get failed(): OutputBoundError | undefined {
    return this.failure;
  }

  /** Stops reading and ends the command, recording why (the first reason stays). */
  fail(error: OutputBoundError): void {
    this.failure ??= error;
    this.end();
  }

  /** Stops reading and ends the command: enough was read. */
  end(): void {
    clearTimeout(this.timer);
    this.controller.abort();
  }

  /** Call once the exec has returned: throws what stopped the read, if anything did. */
  finish(): void {
    clearTimeout(this.timer);
    if (this.failure) throw this.failure;
  }

  /**
   * A byte budget that one or more streams of this read count against. Past it the read
   * fails, or with `truncate` it keeps what fits and ends the command without a failure.
   */
  budget(bound: OutputBound, onFull: 'fail' | 'truncate' = 'fail'): Budget {
    return new Budget(this, bound, onFull);
  }

  /**
   * A writable that counts what it gets against `budget` and hands it to `into`; a
   * promise from `into` is awaited before the next chunk, so a slow consumer slows the
   * sandbox's writer rather than queueing its output in memory.
   */
  writer(budget: Budget, into: (chunk: Buffer) => unknown): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        const allowed = budget.take(chunk);
        if (allowed.length === 0 || this.failure) {
          done();
          return;
        }
        let result: unknown;
        try {
          result = into(allowed);
        } catch (error) {
          this.fail(asBoundError(error));
          done();
          return;
        }
        if (result instanceof Promise)
          result.then(
            () => done(),
            () => done(),
          );
        else done();
      },
    });
  }

  /** Splits output into lines (without `\n` or `\r\n`), each at most `line.maxBytes`. */
  lines(
    budget: Budget,
    line: OutputBound,
    onLine: (line: string) => unknown,
  ): Writable & { flushRest(): void } {
    const splitter = new LineSplitter(line);
    const deliver = (lines: string[]): unknown => {
      let last: unknown;
      for (const text of lines) last = onLine(text);
      return last;
    };
    const writer = this.writer(budget, (chunk) => deliver(splitter.push(chunk)));
    return Object.assign(writer, {
      flushRest: () => {
        if (this.failure) return;
        const rest = splitter.rest();
        if (rest !== undefined) onLine(rest);
      },
    });
  }

  /** Keeps what it gets, for short outputs read at the end. */
  collect(budget: Budget): Writable & { text(): string } {
    const chunks: Buffer[] = [];
    const writer = this.writer(budget, (chunk) => chunks.push(chunk));
    return Object.assign(writer, { text: () => Buffer.concat(chunks).toString('utf8') });
  }

  /**
   * Writes what it gets to `<path>.partial` (mode 0600). `save()` moves it to `path` once
   * the exec has returned, or removes it and throws when the read failed, so the last
   * good copy stays; `discard()` removes it.
   */
  toFile(
    budget: Budget,
    path: string,
  ): Writable & { save(): Promise<void>; discard(): Promise<void> } {
    const partial = `${path}.partial`;
    const file = createWriteStream(partial, { mode: 0o600 });
    file.on('error', (error) => this.fail(asBoundError(error)));
    const writer = this.writer(budget, async (chunk) => {
      if (!file.write(chunk)) await once(file, 'drain');
    });
    const close = async () => {
      file.end();
      await finished(file).catch(() => undefined);
    };
    return Object.assign(writer, {
      save: async () => {
        await close();
        if (this.failure) {
          await rm(partial, { force: true });
          throw this.failure;
        }
        await rename(partial, path);
      },
      discard: async () => {
        await close();
        await rm(partial, { force: true });
      },
    });
  }
}

/** How many bytes a read may still take; shared by the streams counted against it. */
export class Budget {
  private used = 0;
  private full = false;

  constructor(
    private readonly read: BoundedRead,
    readonly bound: OutputBound,
    private readonly onFull: 'fail' | 'truncate',
  ) {}

  /** Whether a `truncate` budget cut the output. */
  get truncated(): boolean {
    return this.full && this.onFull === 'truncate';
  }

  /** Counts `chunk` and returns the part of it that may be read (empty once full). */
  take(chunk: Buffer): Buffer {
    if (this.full) return chunk.subarray(0, 0);
    const room = this.bound.maxBytes - this.used;
    if (chunk.length <= room) {
      this.used += chunk.length;
      return chunk;
    }
    this.full = true;
    this.used = this.bound.maxBytes;
    if (this.onFull === 'fail') {
      this.read.fail(new OutputLimitError(this.bound));
      return chunk.subarray(0, 0);
    }
    this.read.end();
    return chunk.subarray(0, room);
  }
}

/**
 * Splits a byte stream into lines, holding at most `bound.maxBytes` of a line that has
 * not ended yet; a longer one throws OutputLimitError. Works on bytes, so a character
 * split across chunks is decoded whole.
 */
export class LineSplitter {
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(private readonly bound: OutputBound) {}

  /** The lines `chunk` completes. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(0x0a, start);
      if (end === -1) break;
      this.check(end - start);
      this.partial.push(chunk.subarray(start, end));
      lines.push(this.take());
      start = end + 1;
    }
    if (start < chunk.length) {
      this.check(chunk.length - start);
      this.partial.push(chunk.subarray(start));
      this.partialBytes += chunk.length - start;
    }
    return lines;
  }

  /** The unfinished last line, if any. */
  rest(): string | undefined {
    return this.partialBytes > 0 ? this.take() : undefined;
  }

  private check(more: number): void {
    if (this.partialBytes + more > this.bound.maxBytes) throw new OutputLimitError(this.bound);
  }

  private take(): string {
    const text = Buffer.concat(this.partial).toString('utf8');
    this.partial = [];
    this.partialBytes = 0;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }
}

/** `4 MB`, `512 KB`, `100 bytes`: limits as the messages name them (1 MB = 1024 KB). */
export function formatBytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  if (mb >= 1) return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
  const kb = bytes / 1024;
  if (kb >= 1) return `${Number.isInteger(kb) ? kb : kb.toFixed(1)} KB`;
  return `${bytes} bytes`;
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function asBoundError(error: unknown): OutputBoundError {
  if (error instanceof OutputBoundError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new OutputBoundError('output_failed', 500, `Reading the sandbox's output failed: ${why}`);
}
