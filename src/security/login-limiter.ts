// Failed logins per source address: after `maxFailures` within `windowMs` the address is refused
// (429, Retry-After) until the window that holds them has passed, so guessing passwords or tokens
// costs a guesser real time while a user who mistyped once is not bothered.

export interface LoginLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  /** Addresses tracked at most (the oldest are forgotten first): bounded memory under a spray. */
  maxAddresses?: number;
}

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;

  constructor(opts: LoginLimiterOptions = {}, private readonly now: () => number = Date.now) {
    this.maxFailures = opts.maxFailures ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxAddresses = opts.maxAddresses ?? 10_000;
  }

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfterSeconds(address: string): number {
    // The hot path (every request with credentials): no failures recorded, nothing to allocate.
    if (this.failures.size === 0 || !this.failures.has(address)) return 0;
    const times = this.recent(address);
    if (times.length < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((times[times.length - this.maxFailures]! + this.windowMs - this.now()) / 1000));
  }

  failed(address: string): void {
    const times = this.recent(address);
    times.push(this.now());
    this.failures.delete(address);
    this.failures.set(address, times.slice(-this.maxFailures));
    if (this.failures.size > this.maxAddresses) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(address) ?? []).filter((t) => t > since);
  }
}
