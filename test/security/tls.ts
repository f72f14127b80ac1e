// Raw HTTPS requests for the security tests: node's https client with exactly the credentials
// a test gives (CA, client certificate, headers), nothing inherited from a context.
import { execFile, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

export interface RawOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** Over this unix socket instead (plain HTTP). */
  socketPath?: string;
}

export function raw(url: string, opts: RawOptions = {}): Promise<RawAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const done = (res: import('node:http').IncomingMessage) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) }));
    };
    const common = { method: opts.method ?? 'GET', path: u.pathname + u.search, headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers } };
    const req = opts.socketPath
      ? httpRequest({ ...common, socketPath: opts.socketPath }, done)
      : request({ ...common, host: u.hostname, port: u.port, ca: opts.ca, cert: opts.cert, key: opts.key, agent: false }, done);
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/** Whether curl is installed; tests that use it say why they skip otherwise. */
export const hasCurl = spawnSync('curl', ['--version']).status === 0;

/** curl's HTTP status for a request (000 when it could not connect or the TLS handshake failed); async, as the server may be in this process. */
export function curlStatus(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', ...args], (_err, stdout) => resolve(String(stdout).trim()));
  });
}
