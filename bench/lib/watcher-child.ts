// A watch-fanout client process. It starts before the server is up (so process starts overlap)
// and waits for {url, watchers, revision, expect}; every watcher is a real client watch that
// parses every event. Parse times are kept per event and turned into latencies once the parent
// sends the write acknowledgement times (same host, same clock).
import { setMaxListeners } from 'node:events';
import { Client, type Task } from '../../src/client/client.js';
import { nowMs } from './util.js';

interface Start {
  url: string;
  watchers: number;
  revision: number;
  /** Events each watcher should see (the measured writes, named <app>-0 … <app>-N-1). */
  expect: number;
  /** The label app=<app> every write of this case carries; the probe is <app>-probe. */
  app: string;
}

const abort = new AbortController();
setMaxListeners(0, abort.signal);
/** Per watcher: event index → parse time (0: not seen). */
const seen: Float64Array[] = [];

process.on('message', (m: { start?: Start; acks?: number[]; sends?: number[]; stop?: boolean }) => {
  if (m.start) start(m.start);
  if (m.acks) {
    // Latency histograms in 0.1 ms buckets (sparse), and how many events never arrived. An event
    // parsed before the writer saw its ack counts as 0 ms after the ack.
    const hist = new Map<number, number>();
    const fromSend = new Map<number, number>();
    let lost = 0;
    for (const s of seen) {
      for (let i = 0; i < m.acks.length; i++) {
        if (s[i] === 0) {
          lost++;
          continue;
        }
        const b = Math.max(0, Math.round((s[i]! - m.acks[i]!) * 10));
        hist.set(b, (hist.get(b) ?? 0) + 1);
        const f = Math.max(0, Math.round((s[i]! - m.sends![i]!) * 10));
        fromSend.set(f, (fromSend.get(f) ?? 0) + 1);
      }
    }
    process.send!({ hist: [...hist], fromSend: [...fromSend], lost });
  }
  if (m.stop) {
    abort.abort();
    setTimeout(() => process.exit(0), 100);
  }
});

function start({ url, watchers, revision, expect, app }: Start): void {
  const client = new Client({ server: url });
  let probes = 0;
  let complete = 0;
  for (let w = 0; w < watchers; w++) seen[w] = new Float64Array(expect);
  for (let w = 0; w < watchers; w++) {
    void (async () => {
      let count = 0;
      try {
        for await (const ev of client.tasks.watch({ revision, labelSelector: `app=${app}`, signal: abort.signal })) {
          if (ev.type !== 'ADDED') continue;
          const t = nowMs();
          const name = (ev.object as Task).metadata.name;
          if (name === `${app}-probe`) {
            if (++probes === watchers) process.send!({ ready: true });
            continue;
          }
          const i = Number(name.slice(app.length + 1));
          if (i < expect && seen[w]![i] === 0) {
            seen[w]![i] = t;
            // Every watcher of this process has everything: the parent need not wait longer.
            if (++count === expect && ++complete === watchers) process.send!({ complete: true });
          }
        }
      } catch (err) {
        if (!abort.signal.aborted) console.error(`watcher ${w}: ${String(err)}`);
      }
    })();
  }
}

process.send!({ started: true });
