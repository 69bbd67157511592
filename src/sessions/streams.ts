/**
 * Collects output as it streams and hands it on in batches (every `intervalMs` or
 * `maxBytes`), so a chatty setup script becomes a few events a second, not thousands.
 * Keeps the last `tailLines` lines for failure messages. Feed it through a BoundedRead
 * (sandbox/bounded-output.ts), which bounds how much it is given.
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
