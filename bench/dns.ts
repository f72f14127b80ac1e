// DNS queries/s: one UDP client keeping a window of queries in flight (A web.default.svc.drover)
// against drover's DNS listener, and against a bare dgram + dns-packet responder answering a
// fixed record, the same client in the same run: the ratio is what drover's lookup, negative
// answer machinery and EDNS/truncation handling cost over decoding and encoding alone.
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { benchDir } from './lib/util.js';
import type { Row } from './report.js';

const WINDOW = 64;
/** A query not answered this long counts as lost and frees its slot (UDP may drop under load). */
const LOST_MS = 200;

export async function dns(opts: { quick: boolean }): Promise<Row[]> {
  const seconds = opts.quick ? 0.5 : 5;
  // In ABBA order, so neither side alone gets the warmer (or the busier) part of the run.
  const b1 = await measure('bare', seconds / 2);
  const d1 = await measure('drover', seconds / 2);
  const d2 = await measure('drover', seconds / 2);
  const b2 = await measure('bare', seconds / 2);
  const bare = (b1 + b2) / 2;
  const drover = (d1 + d2) / 2;
  return [
    {
      benchmark: 'dns',
      metric: 'DNS queries/s (UDP, A record, 64 in flight)',
      value: drover,
      unit: 'queries/s',
      baseline: { name: 'bare dgram + dns-packet responder', value: bare },
      ratio: drover / bare,
    },
  ];
}

async function measure(which: 'drover' | 'bare', seconds: number): Promise<number> {
  const child = fork(join(benchDir, 'lib', 'dns-child.js'), [which], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((ok, fail) => {
      child.once('message', (m: { port: number }) => ok(m.port));
      child.once('exit', (code) => fail(new Error(`the ${which} DNS responder exited with ${code}`)));
    });
    return await load(port, seconds);
  } finally {
    child.disconnect();
    child.kill();
  }
}

/** Answers per second over `seconds`, after a short warm-up. */
async function load(port: number, seconds: number): Promise<number> {
  const socket = createSocket('udp4');
  const sentAt = new Map<number, number>();
  let id = 0;
  let answered = 0;
  let counting = false;
  // Encoded once, the ID rewritten per query: the client must not be what limits the rate.
  const template = dnsPacket.encode({ type: 'query', id: 0, questions: [{ name: 'web.default.svc.drover', type: 'A' }] });
  const send = () => {
    id = (id + 1) & 0xffff;
    sentAt.set(id, performance.now());
    const q = Buffer.from(template);
    q.writeUInt16BE(id, 0);
    socket.send(q, port, '127.0.0.1');
  };
  socket.on('message', (m) => {
    const qid = m.readUInt16BE(0);
    if (!sentAt.delete(qid)) return;
    if (counting) answered++;
    send();
  });
  await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', () => ok()));
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const [qid, at] of sentAt) {
      if (now - at < LOST_MS) continue;
      sentAt.delete(qid);
      send();
    }
  }, LOST_MS);
  for (let i = 0; i < WINDOW; i++) send();
  await new Promise((r) => setTimeout(r, 300)); // warm-up: JIT, socket buffers
  counting = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sweeper);
  socket.close();
  return answered / elapsed;
}
