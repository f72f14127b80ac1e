// Starts real etcd members (Debian's etcd-server) on free loopback ports with temp data dirs,
// for tests that are about etcd: `withEtcd(n)` in a suite, or `startEtcd(n)` by hand.
// `etcdSkipReason()` says why etcd tests cannot run here, and the tests then skip with it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';

export const ETCD_PATH = process.env.DROVER_TEST_ETCD ?? '/usr/bin/etcd';

/** Why etcd tests cannot run here, or undefined when they can. */
export function etcdSkipReason(): string | undefined {
  return existsSync(ETCD_PATH) ? undefined : `etcd not installed at ${ETCD_PATH} (apt-get install etcd-server)`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** PEM files for serving clients over TLS; with `clientCertAuth`, clients must present a certificate the CA signed. */
export interface EtcdTls {
  certFile: string;
  keyFile: string;
  caFile: string;
  clientCertAuth?: boolean;
  /** A client certificate and key for the health check when `clientCertAuth` is on. */
  clientCertFile?: string;
  clientKeyFile?: string;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process?: ChildProcess;
  log: string;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Client URLs of every member. */
  endpoints: string[];
  /** kill -9 of one member. */
  kill(index: number): Promise<void>;
  /** Restarts a killed member on its data dir. */
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

function healthOverTls(url: string, tls: EtcdTls): Promise<{ health?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(tls.caFile),
        ...(tls.clientCertFile ? { cert: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile!) } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as { health?: string });
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function waitHealthy(member: EtcdMember, timeoutMs: number, tls?: EtcdTls): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (member.process?.exitCode !== null && member.process?.exitCode !== undefined) {
      throw new Error(`etcd ${member.name} exited with ${member.process.exitCode}: ${member.log.slice(-2000)}`);
    }
    try {
      const body = tls ? await healthOverTls(`${member.clientUrl}/health`, tls) : ((await (await fetch(`${member.clientUrl}/health`)).json()) as { health?: string });
      if (body.health === 'true') return;
      last = JSON.stringify(body);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd ${member.name} not healthy after ${timeoutMs} ms (${last}): ${member.log.slice(-2000)}`);
}

function launch(member: EtcdMember, initialCluster: string, state: 'new' | 'existing', tls?: EtcdTls): void {
  const tlsArgs = tls
    ? ['--cert-file', tls.certFile, '--key-file', tls.keyFile, '--trusted-ca-file', tls.caFile, ...(tls.clientCertAuth ? ['--client-cert-auth'] : [])]
    : [];
  const proc = spawn(
    ETCD_PATH,
    [
      '--name', member.name,
      '--data-dir', member.dataDir,
      '--listen-client-urls', member.clientUrl,
      '--advertise-client-urls', member.clientUrl,
      '--listen-peer-urls', member.peerUrl,
      '--initial-advertise-peer-urls', member.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', `drover-test-${process.pid}`,
      // Tests only: faster elections on loopback.
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      ...tlsArgs,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  member.process = proc;
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    member.log = (member.log + chunk).slice(-20_000);
  });
}

/** Starts an etcd cluster of `size` members on loopback and waits until every member is healthy. */
export async function startEtcd(size = 1, options: { tls?: EtcdTls } = {}): Promise<EtcdCluster> {
  const { tls } = options;
  const scheme = tls ? 'https' : 'http';
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    members.push({
      name: `n${i + 1}`,
      clientUrl: `${scheme}://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: mkdtempSync(join(tmpdir(), 'drover-etcd-')),
      log: '',
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  for (const m of members) launch(m, initialCluster, 'new', tls);
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    async kill(index) {
      const m = members[index]!;
      const proc = m.process;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
    async restart(index) {
      const m = members[index]!;
      launch(m, initialCluster, 'existing', tls);
      await waitHealthy(m, 20_000, tls);
    },
    async stop() {
      for (let i = 0; i < members.length; i++) await cluster.kill(i);
      for (const m of members) rmSync(m.dataDir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((m) => waitHealthy(m, 20_000, tls)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/**
 * A cluster of `size` members for the describe() (or file) it is called in: started in a
 * `before` hook, stopped in an `after` hook. The returned cluster can be used once the hooks
 * have run (in tests and later hooks); `tls` is read then too, so an earlier `before` hook can
 * make the certificates.
 */
export function withEtcd(size = 1, options: { tls?: () => EtcdTls } = {}): EtcdCluster {
  let cluster: EtcdCluster | undefined;
  const running = (): EtcdCluster => {
    if (!cluster) throw new Error('etcd is not running: use the withEtcd() cluster in tests and hooks, not while declaring the suite');
    return cluster;
  };
  before(async () => {
    cluster = await startEtcd(size, { tls: options.tls?.() });
  });
  after(async () => {
    await cluster?.stop();
    cluster = undefined;
  });
  return {
    get members() {
      return running().members;
    },
    get endpoints() {
      return running().endpoints;
    },
    kill: (index) => running().kill(index),
    restart: (index) => running().restart(index),
    stop: () => running().stop(),
  };
}
