// What an agent receives when it joins: a certificate from the cluster CA (CN
// system:node:<machine>, O system:nodes; server and client use, for its own API and for calling
// the server over TLS) and a bearer token of the same principal (for a server on plain HTTP).
import { CERT_DAYS } from './cluster-pki.js';
import { issueCertificate, type KeyPair } from './pki.js';
import { NODES_GROUP, nodeUser } from './principal.js';

export interface JoinRequest {
  machine: string;
  /** Names and addresses the agent's API is reached by (its certificate's SANs). */
  addresses: string[];
}

export interface NodeIdentity {
  machine: string;
  /** PEM of the cluster CA: the agent trusts the server by it, and the server's client certificate. */
  ca: string;
  cert: string;
  key: string;
  token: string;
}

export async function issueNodeCertificate(ca: KeyPair, req: JoinRequest): Promise<KeyPair> {
  return issueCertificate(ca, {
    commonName: nodeUser(req.machine),
    organizations: [NODES_GROUP],
    sans: [...new Set(['localhost', '127.0.0.1', '::1', ...req.addresses])],
    usage: 'server+client',
    days: CERT_DAYS,
  });
}
