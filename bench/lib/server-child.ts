// A drover server in its own process for the benchmarks (argv: dataDir, controllers, grace
// seconds, and optionally {"endpoints": [...], "prefix": "..."} to keep state in etcd). It reports its URL over IPC and, on request, starts a bare node:http server in the
// same process that answers with the exact bytes drover serves for one path (api-read baseline).
import { createServer } from 'node:http';
import { startServer } from '../../src/server.js';

const [dataDir, controllers, grace, etcdArg] = process.argv.slice(2);
const etcd = etcdArg ? (JSON.parse(etcdArg) as { endpoints: string[]; prefix: string }) : undefined;
const server = await startServer({
  listen: '127.0.0.1:0',
  dataDir: dataDir!,
  logLevel: 'error',
  controllers: controllers === 'true',
  machineGraceSeconds: Number(grace),
  ...(etcd ? { etcd: { endpoints: etcd.endpoints }, prefix: etcd.prefix } : {}),
});
process.send!({ url: server.url });
process.on('message', (m: { bare?: string }) => {
  if (!m.bare) return;
  void (async () => {
    const res = await fetch(server.url + m.bare);
    const body = Buffer.from(await res.arrayBuffer());
    const headers = { 'content-type': res.headers.get('content-type') ?? 'application/json', etag: res.headers.get('etag') ?? '' };
    const bare = createServer((_req, out) => {
      out.writeHead(200, headers);
      out.end(body);
    });
    bare.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const addr = bare.address() as { port: number };
    process.send!({ bare: `http://127.0.0.1:${addr.port}${m.bare}` });
  })();
});
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
