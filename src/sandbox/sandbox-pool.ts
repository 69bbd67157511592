import type { LocalSandbox } from './local-sandbox.js';

/**
 * A warm pool of started sandboxes, at most one per shape (what the holder mounts and
 * the namespace it starts in: root filesystem, binds, layers, disk size, gateway port).
 * A create of a shape seen before takes the started one, which then only needs its
 * limits, variables and gateway (LocalSandbox.adopt); another of that shape is started
 * in the background. Shapes seen longest ago are dropped past `maxShapes`.
 */
export class SandboxPool {
  private readonly ready = new Map<string, Promise<LocalSandbox | undefined>>();

  constructor(
    private readonly maxShapes: number,
    /** Starts a sandbox of a shape for the pool (marked pooled, nothing attached). */
    private readonly make: (key: string) => Promise<LocalSandbox>,
  ) {}

  /** The pooled sandbox of this shape (waiting for one being started), if any. */
  async take(key: string): Promise<LocalSandbox | undefined> {
    const pooled = this.ready.get(key);
    if (!pooled) return undefined;
    this.ready.delete(key);
    return pooled;
  }

  /** Starts one of this shape ahead of need, if none is pooled; drops the oldest shape past the cap. */
  refill(key: string): void {
    if (this.maxShapes <= 0 || this.ready.has(key)) return;
    while (this.ready.size >= this.maxShapes) {
      const [oldest, pooled] = this.ready.entries().next().value as [
        string,
        Promise<LocalSandbox | undefined>,
      ];
      this.ready.delete(oldest);
      void discard(pooled);
    }
    // A failed start is not lost: it leaves no sandbox, and the next create of the
    // shape starts one itself (take answers undefined).
    this.ready.set(
      key,
      this.make(key).catch(() => undefined),
    );
  }

  /** Resolves once every sandbox being started for the pool is started (or failed). */
  async settled(): Promise<void> {
    await Promise.all(this.ready.values());
  }

  /** Destroys what is pooled. */
  async close(): Promise<void> {
    const pooled = [...this.ready.values()];
    this.ready.clear();
    await Promise.all(pooled.map(discard));
  }
}

async function discard(pooled: Promise<LocalSandbox | undefined>): Promise<void> {
  const sandbox = await pooled;
  await sandbox?.destroy().catch(() => undefined);
}
