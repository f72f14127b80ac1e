// Paces task starts. Starting a run is synchronous work (directories, files, a spawn) that
// blocks the agent's event loop; hundreds of tasks bound at once used to be started in one turn
// of it (9 s of spawns in one profile), and nothing else ran meanwhile: no heartbeat went out,
// and the machine and all its tasks were declared lost. Starts now go through this gate: a few
// at a time, each after the event loop had a turn for everything else (heartbeats first).

export class StartGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly concurrency = 4) {}

  /** Runs `start` when a slot is free and the event loop has had a turn; resolves with its result. */
  async run<T>(start: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      await new Promise((resolve) => setImmediate(resolve));
      return await start();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Starts waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}
