// A process of the ingress benchmark (argv[2]): "upstream", a plain node:http server answering a
// small body on keep-alive connections; or "proxy UPSTREAM_PORT", drover's layer 7 ingress proxy
// with one rule to a service whose one ready endpoint is that server. Each reports its port over IPC.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpIngressProxy } from '../../src/ingress/http-proxy.js';
import type { Endpoints, Ingress } from '../../src/model/index.js';

const [role, upstreamPort] = process.argv.slice(2);
// The parent gone (or done): exit, so a profile (--cpu-prof) is written and nothing is left behind.
process.on('disconnect', () => process.exit(0));
if (role === 'upstream') {
  const body = Buffer.from(JSON.stringify({ hello: 'from the upstream', padding: 'x'.repeat(64) }));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
} else {
  const proxy = new HttpIngressProxy();
  proxy.setIngress({ apiVersion: 'drover/v1', kind: 'Ingress', metadata: { name: 'bench', namespace: 'default' }, spec: { rules: [{ path: '/', service: 'web' }] } } as Ingress);
  proxy.replaceEndpoints([
    {
      apiVersion: 'drover/v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default' },
      spec: {},
      status: { ports: [{ name: 'http', protocol: 'tcp' }], addresses: [{ task: 'web-1', machine: 'm', host: '127.0.0.1', ports: { http: Number(upstreamPort) }, ready: true }] },
    } as unknown as Endpoints,
  ]);
  proxy.server.keepAliveTimeout = 60_000;
  const { port } = await proxy.listen('127.0.0.1', 0);
  process.send!({ port });
}
