// Whether the store answers, as this server last learned it from its own calls (quorum reads,
// /readyz probes). While it does not, reads are served from the cache at once instead of waiting
// for a quorum read, and say since when the store has been unreachable: their answers may be out
// of date. The first call that gets an answer ends that.
import { StoreUnavailableError } from '../store/store.js';

export class StoreReachability {
  private since?: Date;

  /** `quorumReadTimeoutMs`: how long a quorum read waits for the store before the read is served from the cache. */
  constructor(private readonly quorumReadTimeoutMs: number) {}

  /** Since when the store has not answered, or undefined while it answers. */
  get unreachableSince(): Date | undefined {
    return this.since;
  }

  /**
   * A quorum read with a short deadline: past it the store counts as unreachable and the read
   * is served from the cache. While it is unreachable, reads do not wait at all: their quorum
   * reads still go out (queued behind the one in flight), and the first that succeeds ends it.
   */
  quorumRead<T>(read: Promise<T>): Promise<T> {
    const sentAt = Date.now();
    const timeoutMs = this.since ? 0 : this.quorumReadTimeoutMs;
    // Before the race: a read that fails has marked the store unreachable when its caller asks.
    this.learnFrom(read, sentAt);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.since ??= new Date(sentAt);
        reject(new StoreUnavailableError(`the store did not answer a quorum read within ${this.quorumReadTimeoutMs} ms`));
      }, timeoutMs);
    });
    return Promise.race([read, deadline]).finally(() => clearTimeout(timer));
  }

  /** Learns from a store call sent at `sentAt`: an answer ends an outage; Unavailable starts one, from `sentAt`. */
  learnFrom(call: Promise<unknown>, sentAt: number): void {
    call.then(
      () => (this.since = undefined),
      (err: unknown) => {
        if (err instanceof StoreUnavailableError) this.since ??= new Date(sentAt);
      },
    );
  }
}
