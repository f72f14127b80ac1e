// Helpers for the Flocker façade tests: a real server with the Flocker listener on port 0, user
// certificates from its cluster CA, and raw HTTPS requests that present them (status, headers and
// bodies are what is asserted).
import { request, type Agent } from 'node:https';
import { systemContext } from '../../../src/registry/index.js';
import { issueCertificate, type KeyPair } from '../../../src/security/pki.js';
import { startTestServer, type TestServer } from '../../helpers.js';

export interface FlockerServer extends TestServer {
  flocker: string;
  /** alice's certificate (CN user-alice), bound to the edit cluster role. */
  alice: KeyPair;
}

export async function startFlocker(): Promise<FlockerServer> {
  const ts = await startTestServer({ auth: true, flockerListen: '127.0.0.1:0', rateLimit: false, auditLog: false, machineGraceSeconds: 300 });
  const alice = await userCertificate(ts, 'user-alice');
  await bind(ts, 'alice', 'edit');
  return Object.assign(ts, { flocker: ts.server.flockerUrl!, alice });
}

export function userCertificate(ts: TestServer, commonName: string, organizations: string[] = []): Promise<KeyPair> {
  return issueCertificate(ts.server.pki.ca, { commonName, organizations, usage: 'client', days: 1 });
}

export async function bind(ts: TestServer, user: string, role: string): Promise<void> {
  await ts.server.registry.kind('clusterrolebindings').create(systemContext, {
    metadata: { name: `flocker-${user}` },
    spec: { roleRef: { kind: 'ClusterRole', name: role }, subjects: [{ kind: 'User', name: user }] },
  });
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => any;
}

/** A request over TLS with `cert` (default: alice's), trusting the cluster CA only. */
export function call(
  fs: FlockerServer,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string | string[]>; cert?: KeyPair | null; ca?: string; agent?: Agent } = {},
): Promise<Answer> {
  const url = new URL(`/v1${path}`, fs.flocker);
  const cert = opts.cert === undefined ? fs.alice : opts.cert;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: opts.ca ?? fs.server.pki.ca.cert,
        ...(cert ? { cert: cert.cert, key: cert.key } : {}),
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A machine as its agent leaves it: registered, Ready, with an address and an era. */
export async function readyMachine(ts: TestServer, name: string, address: string, era?: string): Promise<void> {
  const machines = ts.server.registry.kind('machines');
  await machines.create(systemContext, { metadata: { name } });
  await machines.replaceStatus(systemContext, name, {
    status: { address, ...(era ? { era } : {}), conditions: [{ type: 'Ready', status: 'True', reason: 'HeartbeatReceived' }] },
  });
  // Alive to the scheduler (a long grace period: tests send no more).
  await ts.server.registry.heartbeat(systemContext, name);
}

export const MACHINE_A = '0123456789abcdef0123456789abcdef';
export const MACHINE_B = 'fedcba9876543210fedcba9876543210';
/** Their node UUIDs: the machine ID as a UUID with the version 4 and variant bits set. */
export const NODE_A = '01234567-89ab-4def-8123-456789abcdef';
export const NODE_B = 'fedcba98-7654-4210-bedc-ba9876543210';
