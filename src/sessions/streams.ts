import { Writable } from 'node:stream';

/** A Writable that calls `onLine` for each complete line (without its newline). */
export function lineWriter(onLine: (line: string) => void): Writable & { flushRest(): void } {
  let partial = '';
  const writer = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      done();
    },
  });
  return Object.assign(writer, {
    flushRest() {
      if (partial) onLine(partial);
      partial = '';
    },
  });
}

/**
 * Collects output as it streams and hands it on in batches (every `intervalMs` or
 * `maxBytes`), so a chatty setup script becomes a few events a second, not thousands.
 * Keeps the last `tailLines` lines for failure messages.
 */
export class OutputBatcher {
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly tail: string[] = [];

  constructor(
    private readonly flushTo: (text: string) => void,
    private readonly intervalMs = 200,
    private readonly maxBytes = 16 * 1024,
    private readonly tailLines = 20,
  ) {}

  writer(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.add(chunk.toString('utf8'));
        done();
      },
    });
  }

  add(text: string): void {
    this.buffer += text;
    this.tail.push(...text.split('\n').filter((line) => line !== ''));
    this.tail.splice(0, Math.max(0, this.tail.length - this.tailLines));
    if (this.buffer.length >= this.maxBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    this.flushTo(text);
  }

  lastLines(): string[] {
    return [...this.tail];
  }
}

/** A Writable that keeps everything written, for short outputs read at the end. */
export function collector(): Writable & { text(): string } {
  const chunks: Buffer[] = [];
  const writer = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return Object.assign(writer, { text: () => Buffer.concat(chunks).toString('utf8') });
}
