// watch-fanout: watchers in separate client processes, each parsing every event, while this
// process writes at a fixed rate; latency from write acknowledged to event parsed, and loss.
// The baseline is the write's own acknowledgement latency (request → ack) in the same run.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Row } from './report.js';
import { benchDir, nowMs, percentile, sortNumbers, startServerChild } from './lib/util.js';

interface Case {
  watchers: number;
  processes: number;
  writesPerSecond: number;
  seconds: number;
}

function message<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
  });
}

async function post(url: string, name: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metadata: { name, labels: { app: 'fanout' } }, spec: { template: { command: ['/bin/true'] } } }),
  });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`write ${name} failed: ${res.status}`);
}

/** Merges sparse 0.1 ms histograms; q(p) is the p-th percentile in ms. */
function merge(hists: [number, number][][]): { count: number; q(p: number): number } {
  const all = new Map<number, number>();
  for (const h of hists) for (const [b, n] of h) all.set(b, (all.get(b) ?? 0) + n);
  const buckets = [...all].sort((a, b) => a[0] - b[0]);
  const count = buckets.reduce((s, [, n]) => s + n, 0);
  return {
    count,
    q: (p) => {
      let acc = 0;
      for (const [b, n] of buckets) if ((acc += n) >= (p / 100) * count) return b / 10;
      return NaN;
    },
  };
}

async function one(c: Case): Promise<Row[]> {
  const server = await startServerChild({ controllers: false });
  const children: ChildProcess[] = [];
  try {
    const rev = ((await (await fetch(`${server.url}/api/v1/tasks?limit=1`)).json()) as { metadata: { revision: number } }).metadata.revision;
    const total = c.writesPerSecond * c.seconds;
    const per = Math.ceil(c.watchers / c.processes);
    for (let p = 0; p < c.processes; p++) {
      const n = Math.min(per, c.watchers - p * per);
      const child = fork(join(benchDir, 'lib', 'watcher-child.js'), [server.url, String(n), String(rev)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
    }
    await Promise.all(children.map((ch) => message(ch, 'started')));
    for (const ch of children) ch.send({ expect: total });
    // The probe proves every watch is established before the measured writes start.
    const ready = children.map((ch) => message(ch, 'ready'));
    await new Promise((r) => setTimeout(r, 300));
    await post(server.url, 'fanout-probe');
    await Promise.all(ready);

    const acks = new Array<number>(total).fill(0);
    const sends = new Array<number>(total).fill(0);
    const ackLatency: number[] = [];
    const writes: Promise<void>[] = [];
    const tick = 10; // ms between batches
    const perTick = (c.writesPerSecond * tick) / 1000;
    const t0 = performance.now();
    for (let batch = 0, i = 0; i < total; batch++) {
      const due = t0 + batch * tick;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      for (let k = 0; k < perTick && i < total; k++, i++) {
        const idx = i;
        const start = (sends[idx] = nowMs());
        writes.push(
          post(server.url, `fanout-${idx}`).then(() => {
            acks[idx] = nowMs();
            ackLatency.push(acks[idx]! - start);
          }),
        );
      }
    }
    await Promise.all(writes);
    const elapsed = (performance.now() - t0) / 1000;
    // Give stragglers a moment, then collect.
    await new Promise((r) => setTimeout(r, 1_000));
    const results = await Promise.all(
      children.map((ch) => {
        const got = message<{ hist: [number, number][]; fromSend: [number, number][]; lost: number }>(ch, 'hist');
        ch.send({ acks, sends });
        return got;
      }),
    );
    let lost = 0;
    for (const r of results) lost += r.lost;
    const { count, q } = merge(results.map((r) => r.hist));
    const fromSend = merge(results.map((r) => r.fromSend));
    sortNumbers(ackLatency);
    const label = `${c.watchers.toLocaleString('en-US')} watchers (${c.processes} procs) × ${c.writesPerSecond.toLocaleString('en-US')} writes/s`;
    console.error(`watch-fanout ${label}: ${total} writes in ${elapsed.toFixed(1)} s, ${count} deliveries, ${lost} lost`);
    const rows: Row[] = [];
    for (const p of [50, 99]) {
      const v = q(p);
      const b = percentile(ackLatency, p);
      rows.push({ benchmark: 'watch-fanout', metric: `${label}: ack → parsed p${p}`, value: v, unit: 'ms', baseline: { name: 'write ack latency', value: b }, ...(v > 0 ? { ratio: b / v } : {}), ...(p === 99 ? { target: '≤ 100 ms', met: v <= 100 && lost === 0 } : {}) });
    }
    rows.push({ benchmark: 'watch-fanout', metric: `${label}: write sent → parsed p99`, value: fromSend.q(99), unit: 'ms' });
    rows.push({ benchmark: 'watch-fanout', metric: `${label}: events lost`, value: lost, unit: 'events', target: '0', met: lost === 0 });
    return rows;
  } finally {
    for (const ch of children) ch.send({ stop: true });
    await Promise.all(children.map((ch) => (ch.exitCode !== null ? undefined : new Promise((r) => ch.once('exit', r)))));
    await server.close();
  }
}

export async function watchFanout({ quick }: { quick: boolean }): Promise<Row[]> {
  const cases: Case[] = quick
    ? [
        { watchers: 200, processes: 4, writesPerSecond: 100, seconds: 3 },
        { watchers: 50, processes: 2, writesPerSecond: 1_000, seconds: 2 },
      ]
    : [
        { watchers: 1_000, processes: 8, writesPerSecond: 100, seconds: 10 },
        { watchers: 100, processes: 4, writesPerSecond: 1_000, seconds: 10 },
      ];
  const rows: Row[] = [];
  for (const c of cases) rows.push(...(await one(c)));
  return rows;
}
