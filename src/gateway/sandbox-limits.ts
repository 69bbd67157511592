/** Per-sandbox limits of the gateway; past any of them a request gets 429. */
export interface GatewayLimits {
  /** Sustained requests per second (a token bucket refilling at this rate). */
  requestsPerSecond: number;
  /** Requests allowed in a burst (the bucket's size). */
  burst: number;
  /** CONNECT tunnels and proxied requests open at once. */
  maxTunnels: number;
  /** Bytes through the egress proxy (both directions) over the attachment's life. */
  maxBytes: number;
}

export const DEFAULT_GATEWAY_LIMITS: GatewayLimits = {
  requestsPerSecond: 50,
  burst: 200,
  maxTunnels: 128,
  maxBytes: Number.POSITIVE_INFINITY,
};

export type LimitName = 'requests-per-second' | 'tunnels' | 'bytes';

/** The counters of one sandbox; each sandbox has its own, so one cannot slow another. */
export class Limiter {
  private tokens: number;
  private refilledAt: number;
  private tunnels = 0;
  private bytes = 0;

  constructor(
    readonly limits: GatewayLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limits.burst;
    this.refilledAt = now();
  }

  /** Takes one request from the bucket; false when it is empty. */
  takeRequest(): boolean {
    const now = this.now();
    const refill = ((now - this.refilledAt) / 1000) * this.limits.requestsPerSecond;
    this.tokens = Math.min(this.limits.burst, this.tokens + refill);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Opens a tunnel slot; returns its release function, or null when all are taken. */
  openTunnel(): (() => void) | null {
    if (this.tunnels >= this.limits.maxTunnels) return null;
    this.tunnels += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.tunnels -= 1;
    };
  }

  /** Counts bytes; false once the budget is spent. */
  addBytes(count: number): boolean {
    this.bytes += count;
    return this.bytes <= this.limits.maxBytes;
  }

  bytesLeft(): boolean {
    return this.bytes < this.limits.maxBytes;
  }

  usage(): { tunnels: number; bytes: number } {
    return { tunnels: this.tunnels, bytes: this.bytes };
  }
}
