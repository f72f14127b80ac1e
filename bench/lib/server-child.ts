// A drover server in its own process for the benchmarks (argv: dataDir, controllers, grace
// seconds, and {"etcd": {"endpoints": [...], "prefix": "..."}, "secure": bool}). It reports its
// URL (and, when secure, its admin token and CA) over IPC and, on request, starts a bare server
// in the same process that answers with the exact bytes drover serves for one path (api-read
// baseline): node:https with the same certificate when the server is secure, else node:http.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Client } from '../../src/client/client.js';
import { startServer } from '../../src/server.js';

const [dataDir, controllers, grace, extraArg] = process.argv.slice(2);
const extra = JSON.parse(extraArg ?? '{}') as { etcd?: { endpoints: string[]; prefix: string }; secure?: boolean };
const etcd = extra.etcd;
const server = await startServer({
  listen: '127.0.0.1:0',
  dataDir: dataDir!,
  logLevel: 'error',
  controllers: controllers === 'true',
  machineGraceSeconds: Number(grace),
  ...(etcd ? { etcd: { endpoints: etcd.endpoints }, prefix: etcd.prefix } : {}),
  ...(extra.secure ? { auth: true, tls: true } : {}),
});
process.send!({ url: server.url, ...(server.adminToken ? { token: server.adminToken } : {}), ...(server.caCert ? { ca: server.caCert } : {}) });
const client = new Client({
  server: server.url,
  ...(server.adminToken ? { credentials: { token: server.adminToken } } : {}),
  ...(server.caCert ? { tls: { ca: server.caCert } } : {}),
});
process.on('message', (m: { bare?: string }) => {
  if (!m.bare) return;
  void (async () => {
    const res = await client.fetch('GET', m.bare!);
    const body = Buffer.from(await res.arrayBuffer());
    const headers = { 'content-type': res.headers.get('content-type') ?? 'application/json', etag: res.headers.get('etag') ?? '' };
    const answer = (_req: IncomingMessage, out: ServerResponse) => {
      out.writeHead(200, headers);
      out.end(body);
    };
    const bare = extra.secure ? createHttpsServer({ cert: server.pki.server.cert, key: server.pki.server.key }, answer) : createServer(answer);
    bare.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const addr = bare.address() as { port: number };
    process.send!({ bare: `${extra.secure ? 'https' : 'http'}://127.0.0.1:${addr.port}${m.bare}` });
  })();
});
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
