// A share of a hollow fleet in its own process (argv: JSON of server, count, first, heartbeatMs
// and dataDir, which the parent makes and removes), so the bench process, the fleet and the
// server each get a core. It reports over IPC when its machines are registered and, every few
// milliseconds while it changes, how many runs started.
import { startHollowAgents } from '../../src/agent/hollow.js';

const { server, count, first, heartbeatMs, dataDir } = JSON.parse(process.argv[2]!) as { server: string; count: number; first: number; heartbeatMs: number; dataDir: string };
let started = 0;
let sent = -1;
const progress = setInterval(() => {
  if (started === sent) return;
  sent = started;
  process.send!({ started });
}, 10);
const hollow = await startHollowAgents({ server, count, first, heartbeatMs, dataDir, logLevel: 'error', onStart: () => started++ });
process.send!({ registered: count });
const stop = () => {
  clearInterval(progress);
  const t0 = performance.now();
  void hollow.close().then(() => {
    if (process.env.BENCH_HOLLOW_PROF) console.error(`hollow fleet of ${count} closed in ${Math.round(performance.now() - t0)} ms`);
    process.exit(0);
  });
};
process.once('SIGTERM', stop);
process.once('disconnect', stop);
