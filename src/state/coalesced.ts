// One call at a time, shared by everyone who asks while it has not been sent: a caller that
// arrives while a call is in flight waits for the next one, because the one in flight may
// have been answered before the caller's own writes (a quorum read must start after them).
export class Coalesced<T> {
  private inFlight?: Promise<void>;
  private queued?: Promise<T>;

  constructor(private readonly call: () => Promise<T>) {}

  run(): Promise<T> {
    if (this.queued) return this.queued;
    if (!this.inFlight) return this.start();
    this.queued = this.inFlight.then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<T> {
    const result = this.call();
    const settled: Promise<void> = result
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        if (this.inFlight === settled) this.inFlight = undefined;
      });
    this.inFlight = settled;
    return result;
  }
}
