// How the server reaches an agent's API: only over TLS, only to the certificate the cluster CA
// gave that machine's agent, presenting the server's own client certificate. An endpoint written
// by anyone else (another machine's agent, or a URL pointing at another server) cannot receive
// the server's requests. Used by the task proxy (log, kill, exec) and the dataset content relay.
import { tlsDispatcher } from '../client/transport.js';
import { Unavailable } from '../errors.js';
import type { KeyPair } from '../security/pki.js';
import { nodeUser } from '../security/principal.js';

/** What the proxy needs of the cluster's certificates: the CA agents' certificates come from, and the server's client certificate. */
export interface AgentPki {
  ca: KeyPair;
  serverClient: KeyPair;
}

export async function agentDispatcher(pki: AgentPki | undefined, machine: string, endpoint: string): ReturnType<typeof tlsDispatcher> {
  return tlsDispatcher(agentTlsOptions(pki, machine, endpoint));
}

/** The TLS options of a connection to `machine`'s agent (for node:https, as port-forward's Upgrade needs). */
export function agentTlsOptions(pki: AgentPki | undefined, machine: string, endpoint: string): { ca: string; cert: string; key: string; checkServerIdentity: (host: string, cert: unknown) => Error | undefined } {
  if (!pki || !endpoint.startsWith('https://')) throw new Unavailable(`the agent of machine ${machine} publishes no TLS endpoint (${endpoint.slice(0, 100)}); upgrade or restart it`);
  return {
    ca: pki.ca.cert,
    cert: pki.serverClient.cert,
    key: pki.serverClient.key,
    checkServerIdentity: (_host, cert) => {
      const cn = (cert as { subject?: { CN?: string | string[] } }).subject?.CN;
      return [cn].flat()[0] === nodeUser(machine) ? undefined : new Error(`the agent at ${endpoint} is not machine ${machine}'s (certificate for ${String(cn)})`);
    },
  };
}
