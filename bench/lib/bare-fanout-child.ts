// The watch-fanout baseline: the least a server can do to fan writes out to watchers on this
// machine. A bare node:http server in its own process (argv: JSON of a task as drover served it)
// that answers the bench's writes and watches in drover's wire format: each POST /api/v1/tasks
// becomes one ADDED frame, encoded once (the template task with the write's name, labels, a uid
// and a revision) and written to every watch whose `app=` label selector matches: the write is
// acknowledged first, and each watch gets one socket write per event-loop turn with the frames
// that turn made (as drover does; a write per frame per socket fell seconds behind at 1,000
// watchers × 100 writes/s). No store, no validation, no fsync. Watches resume from `revision` out of the frames kept in memory, so a
// watch opened after a write still gets it, as from drover. It reports its URL over IPC.
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';

const template = JSON.parse(process.argv[2]!) as { metadata: Record<string, unknown> };
/** Every frame so far, with its revision (index + 1) and the app label it carries. */
const frames: { app: string; frame: string }[] = [];
const watches = new Set<{ app: string; res: ServerResponse }>();
/** Frames made this turn, by app label, written to the watches at its end. */
let turn = new Map<string, string>();

function flush(): void {
  const frames = turn;
  turn = new Map();
  for (const w of watches) {
    const text = frames.get(w.app);
    if (text) w.res.write(text);
  }
}

const server = createServer((req, res) => {
  const url = new URL(req.url!, 'http://bare');
  if (req.method === 'POST' && url.pathname === '/api/v1/tasks') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const written = JSON.parse(body) as { metadata: { name: string; labels?: Record<string, string> } };
      const object = JSON.stringify({ ...template, metadata: { ...template.metadata, name: written.metadata.name, labels: written.metadata.labels, uid: randomUUID(), revision: frames.length + 1 } });
      const app = written.metadata.labels?.app ?? '';
      const frame = `{"type":"ADDED","object":${object}}\n`;
      frames.push({ app, frame });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(object);
      if (turn.size === 0) setImmediate(flush);
      turn.set(app, (turn.get(app) ?? '') + frame);
    });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/api/v1/tasks' && url.searchParams.get('watch') === 'true') {
    const app = /^app=(.*)$/.exec(url.searchParams.get('labelSelector') ?? '')?.[1] ?? '';
    const from = Number(url.searchParams.get('revision') ?? frames.length);
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (let r = from; r < frames.length; r++) if (frames[r]!.app === app) res.write(frames[r]!.frame);
    const w = { app, res };
    watches.add(w);
    res.once('close', () => watches.delete(w));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/api/v1/tasks') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ apiVersion: 'v1', kind: 'TaskList', metadata: { revision: frames.length }, items: [] }));
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
process.once('SIGTERM', () => {
  for (const w of watches) w.res.destroy();
  server.close(() => process.exit(0));
});
