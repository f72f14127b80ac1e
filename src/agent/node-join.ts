// The agent's identity in the cluster: on first contact it exchanges a join token for its own
// certificate and token (POST /api/v1/system/join), keeps them in its data dir (identity/, keys
// 0600), and uses them from then on. A server without authentication (tests) lets it join
// without a token; every agent API is TLS either way.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '../client/client.js';
import { writeAtomic } from '../security/cluster-pki.js';
import type { NodeIdentity } from '../security/node-identity.js';

export interface JoinOptions {
  server: string | string[];
  dataDir: string;
  machine: string;
  /** `drover token create --agent`; needed once, by a server that authenticates. */
  joinToken?: string;
  /** PEM of the cluster CA, to trust an https server before the agent has joined. */
  ca?: string;
  /** Names and addresses the server reaches this agent's API by. */
  addresses: string[];
}

/** The identity kept in `dataDir`, else a new one from the server. */
export async function nodeIdentity(opts: JoinOptions): Promise<NodeIdentity> {
  const dir = join(opts.dataDir, 'identity');
  const kept = readIdentity(dir, opts.machine);
  if (kept) return kept;
  const client = new Client({
    server: opts.server,
    ...(opts.joinToken ? { credentials: { token: opts.joinToken } } : {}),
    ...(opts.ca ? { tls: { ca: opts.ca } } : {}),
  });
  let identity: NodeIdentity;
  try {
    identity = (await client.request<NodeIdentity>('POST', '/api/v1/system/join', { body: { machine: opts.machine, addresses: opts.addresses } })).body;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 401) throw new Error(`the server refused to let machine ${opts.machine} join: ${(err as Error).message}; give a join token from drover token create --agent (--join-token)`, { cause: err });
    throw err;
  } finally {
    await client.close();
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeAtomic(join(dir, 'ca.crt'), identity.ca, 0o644);
  writeAtomic(join(dir, 'node.crt'), identity.cert, 0o644);
  writeAtomic(join(dir, 'node.key'), identity.key, 0o600);
  writeAtomic(join(dir, 'node.token'), `${identity.token}\n`, 0o600);
  writeAtomic(join(dir, 'machine'), `${opts.machine}\n`, 0o644);
  return identity;
}

function readIdentity(dir: string, machine: string): NodeIdentity | undefined {
  const files = ['ca.crt', 'node.crt', 'node.key', 'node.token', 'machine'].map((f) => join(dir, f));
  if (!files.every((f) => existsSync(f))) return undefined;
  const [ca, cert, key, token, kept] = files.map((f) => readFileSync(f, 'utf8'));
  // An identity is for one machine: a data dir reused under another id joins again.
  if (kept!.trim() !== machine) return undefined;
  return { machine, ca: ca!, cert: cert!, key: key!, token: token!.trim() };
}
