// A tcp check: healthy when a connection to 127.0.0.1:PORT opens within the timeout; it is closed at once.
import { connect } from 'node:net';
import { connectionProblem, type ProbeResult } from './probe.js';

export interface TcpProbe {
  port: number;
  timeoutMs: number;
  host?: string;
  signal?: AbortSignal;
}

export function tcpProbe(p: TcpProbe): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: p.host ?? '127.0.0.1', port: p.port, signal: p.signal });
    const timer = setTimeout(() => finish({ ok: false, output: `no connection within ${p.timeoutMs / 1000}s` }), p.timeoutMs);
    function finish(r: ProbeResult) {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    }
    socket.once('connect', () => finish({ ok: true, output: `connected to port ${p.port}` }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, output: connectionProblem(err) }));
  });
}
