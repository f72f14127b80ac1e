// An http check: GET http://127.0.0.1:PORT/PATH, healthy when the status is in the expected range
// ("200-399"). No connection reuse (each attempt is what a new client would see), no redirects
// followed (a 3xx is an answer, as in Kubernetes), the body read and dropped.
import { request } from 'node:http';
import { isExpectedStatus } from '../../model/index.js';
import { connectionProblem, type ProbeResult } from './probe.js';

export interface HttpProbe {
  port: number;
  path: string;
  expectStatus: string;
  timeoutMs: number;
  host?: string;
  signal?: AbortSignal;
}

export function httpProbe(p: HttpProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request({ host: p.host ?? '127.0.0.1', port: p.port, path: p.path, method: 'GET', agent: false, headers: { 'user-agent': 'drover-check', connection: 'close' }, signal: p.signal }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done({ ok: isExpectedStatus(p.expectStatus, status), output: `HTTP ${status}${isExpectedStatus(p.expectStatus, status) ? '' : ` (expected ${p.expectStatus})`}` });
    });
    const timer = setTimeout(() => {
      done({ ok: false, output: `no answer within ${p.timeoutMs / 1000}s` });
      req.destroy();
    }, p.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, output: connectionProblem(err) }));
    req.end();
  });
}
