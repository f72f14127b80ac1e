// WAL checkpoints off the request path: a worker thread with its own connection runs
// `wal_checkpoint(PASSIVE)`, which never blocks the writer. But the WAL only restarts from the top
// when a write begins with every frame checkpointed, which under sustained writes never happens
// (measured: 350 MB of WAL after 20 s). So when the WAL is large, the worker asks the store to
// hold writes (reads go on), checkpoints the short tail written since its pass, and releases
// them; the next commit restarts the WAL.
// The worker is an inline CommonJS script so it runs the same from src/*.ts under tsx and from
// compiled dist/.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.path, { timeout: 0 });
let timer;
let isStopping = false;
let isFailing = false;
function checkpoint() {
  try {
    const result = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (isFailing) parentPort.postMessage({ type: 'recovered' });
    isFailing = false;
    return result;
  } catch (err) {
    if (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED') return undefined;
    isFailing = true;
    parentPort.postMessage({ type: 'error', code: err.code, message: String(err.message) });
    return undefined;
  }
}
function schedule(ms) {
  if (!isStopping) timer = setTimeout(tick, ms);
}
function tick() {
  const result = checkpoint();
  // A passive pass never restarts a busy WAL: frames keep arriving while it runs.
  if (result && result.log >= workerData.restartFrames) {
    parentPort.postMessage({ type: 'hold' });  // continued on 'held'
    return;
  }
  schedule(workerData.intervalMs);
}
parentPort.on('message', (msg) => {
  if (msg === 'held') {
    checkpoint();
    parentPort.postMessage({ type: 'release' });
    schedule(workerData.intervalMs);
  } else if (msg === 'stop') {
    isStopping = true;
    clearTimeout(timer);
    checkpoint();
    db.close();
    parentPort.close();
  }
});
schedule(workerData.intervalMs);
`;

export interface Checkpointer {
  /** Runs a last checkpoint and ends the worker. */
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  path: string;
  intervalMs: number;
  /** WAL size beyond which writes are held for the tail checkpoint that lets the WAL restart. */
  restartBytes: number;
  /** Hold writes so the tail of the WAL can be checkpointed; `release` is always called after. */
  hold(): void;
  release(): void;
  /** Called when checkpoints cannot run (the caller falls back to inline checkpoints). */
  onFailure(err: Error): void;
  /** A checkpoint failed (SQLite's error code and message), the `attempt`th time in a row; it is tried again every interval. */
  onCheckpointFailed(code: string, message: string, attempt: number): void;
  /** A checkpoint succeeded after `failedAttempts` failed ones. */
  onRecovered(failedAttempts: number): void;
}

// A hold never outlasts this, even if the worker is stuck.
const MAX_HOLD_MS = 1000;
const STOP_TIMEOUT_MS = 5000;
// SQLite's default page size, which the store keeps; a WAL frame holds one page.
const PAGE_BYTES = 4096;

export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path: options.path, intervalMs: options.intervalMs, restartFrames: Math.ceil(options.restartBytes / PAGE_BYTES), driverPath },
    // Not the parent's flags: a tsx loader there is of no use to this CommonJS script.
    execArgv: [],
  });
  worker.unref();
  let hasExited = false;
  let isStopping = false;
  let failedAttempts = 0;
  let holdTimer: NodeJS.Timeout | undefined;
  const release = () => {
    if (!holdTimer) return;
    clearTimeout(holdTimer);
    holdTimer = undefined;
    options.release();
  };
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      hasExited = true;
      release();
      resolve();
    }),
  );
  worker.on('error', (err) => options.onFailure(err));
  worker.on('message', (msg: { type: 'hold' | 'release' | 'error' | 'recovered'; code?: string; message?: string }) => {
    if (msg.type === 'error') {
      options.onCheckpointFailed(msg.code ?? 'unknown', msg.message ?? 'unknown error', ++failedAttempts);
    } else if (msg.type === 'recovered') {
      options.onRecovered(failedAttempts);
      failedAttempts = 0;
    } else if (msg.type === 'hold' && !isStopping) {
      options.hold();
      holdTimer = setTimeout(release, MAX_HOLD_MS);
      worker.postMessage('held');
    } else if (msg.type === 'release') {
      release();
    }
  });
  return {
    async stop() {
      isStopping = true;
      release();
      if (hasExited) return;
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
