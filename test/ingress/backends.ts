// Small real upstreams for the proxy tests: HTTP servers that answer with their name and the
// headers they got, and take an Upgrade by echoing what the client sends.
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import type { Endpoints } from '../../src/model/index.js';

export interface Backend {
  name: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startBackend(name: string): Promise<Backend> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  server.on('upgrade', (req, socket: Socket) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${req.headers.upgrade}\r\nconnection: Upgrade\r\nx-backend: ${name}\r\n\r\n`);
    socket.pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    server,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** A port nothing listens on now (a stopped task's). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export function endpointsOf(service: string, addresses: { task: string; port: number; ready?: boolean }[], ingress?: { port: number; targetPort?: string }[]): Endpoints {
  return {
    apiVersion: 'drover/v1',
    kind: 'Endpoints',
    metadata: { name: service, namespace: 'default' },
    spec: {},
    status: {
      ports: [{ name: 'http', protocol: 'tcp' }],
      addresses: addresses.map((a) => ({ task: a.task, machine: 'm', host: '127.0.0.1', ports: { http: a.port }, ready: a.ready ?? true })),
      ...(ingress ? { ingress } : {}),
    },
  } as unknown as Endpoints;
}

/** GET through `port` (a fresh connection each time unless an agent is given): status, body. */
export function get(port: number, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: string, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, headers, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
