// /api/v0/hosts, /api/v0/host/{address} (and the address-inferring /api/v0/host), its /creds
// and /status: commissaire_http/handlers/hosts.py over Host and the Secret holding its key.
import { NotFound } from '../../errors.js';
import { SSH_PRIVATE_KEY, type Cluster, type Host, type Secret } from '../../model/index.js';
import type { CommissaireDoor } from './door.js';
import { credentialsSecretFor, hostAt, hostNameFor } from './host-names.js';
import { badRequest, commissaireDate, conflict, notFound, optionalString } from './wire.js';

const MIB = 1024 * 1024;

/** Commissaire's Host model (to_dict_safe): exactly these keys, in this order. */
export interface HostRecord {
  address: string;
  status: string;
  os: string;
  cpus: number;
  memory: number;
  space: number;
  last_check: string;
  source: string;
}

export function hostRecord(host: Host): HostRecord {
  const s = host.status ?? {};
  return {
    address: host.spec.address,
    // '' until the server first looks at it, as Host.new leaves it before the investigator runs.
    status: s.phase ?? '',
    os: s.os ?? '',
    cpus: s.cpus ?? 0,
    // The investigator reports ansible_memory_mb.real.total: MiB. Space stays bytes, as there.
    memory: s.memory === undefined ? 0 : Math.floor(s.memory / MIB),
    space: s.space ?? 0,
    last_check: commissaireDate(s.lastCheck),
    source: '',
  };
}

export function listHosts(door: CommissaireDoor): HostRecord[] {
  return door.registry.kind<Host>('hosts').list(door.ctx).map(hostRecord);
}

export function getHost(door: CommissaireDoor, address: string): HostRecord {
  return hostRecord(requireHost(door, address));
}

function requireHost(door: CommissaireDoor, address: string): Host {
  const host = hostAt(door, address);
  if (!host) throw notFound(`no host at "${address}"`);
  return host;
}

/**
 * create_host: a host that exists with the same key is answered as it is (409 when the key
 * differs, or when it is not in the cluster named); otherwise a Secret with the decoded key and a
 * Host, in the cluster named (which must exist: 409). The body is checked in full first, so a
 * refused request changes nothing.
 */
export async function createHost(door: CommissaireDoor, address: string, params: Record<string, unknown>): Promise<HostRecord> {
  const encodedKey = optionalString(params, 'ssh_priv_key') ?? '';
  const remoteUser = optionalString(params, 'remote_user') ?? 'root';
  const clusterName = optionalString(params, 'cluster') || undefined;
  const key = Buffer.from(encodedKey, 'base64').toString('utf8');
  if (clusterName !== undefined && !(await door.registry.kind<Cluster>('clusters').find(door.ctx, clusterName).catch(absentOnNotFound))) {
    throw conflict(`cluster "${clusterName}" does not exist`);
  }
  const existing = hostAt(door, address);
  if (existing) {
    if ((await storedKey(door, existing)) !== key) throw conflict(`a host at "${address}" exists with another key`);
    if (clusterName !== undefined && existing.spec.cluster !== clusterName) throw conflict(`host "${address}" is not in cluster "${clusterName}"`);
    return hostRecord(existing);
  }
  const name = hostNameFor(address);
  const secretName = credentialsSecretFor(name);
  const hostBody = { metadata: { name }, spec: { address, remoteUser, credentials: { namespace: door.namespace, secret: secretName }, ...(clusterName ? { cluster: clusterName } : {}) } };
  const hosts = door.registry.kind<Host>('hosts');
  const secrets = door.registry.kind<Secret>('secrets', door.namespace);
  // Refused here (a bad remote_user, no right to create hosts) before the secret exists.
  await hosts.dryRun(door.ctx, name, () => hostBody);
  await secrets.replace(door.ctx, secretName, { metadata: { name: secretName }, spec: { data: { [SSH_PRIVATE_KEY]: key } } });
  try {
    return hostRecord(await hosts.create(door.ctx, hostBody));
  } catch (err) {
    await secrets.delete(door.ctx, secretName).catch(() => undefined);
    throw err;
  }
}

/** delete_host: the Host, its key's Secret when this façade made it; leaving the cluster goes with the host. */
export async function deleteHost(door: CommissaireDoor, address: string): Promise<[]> {
  const host = requireHost(door, address);
  await door.registry.kind<Host>('hosts').delete(door.ctx, host.metadata.name);
  const creds = host.spec.credentials;
  // Only the secret this façade names for the host: a native host may share its secret with others.
  if (creds.secret === credentialsSecretFor(host.metadata.name)) {
    await door.registry
      .kind<Secret>('secrets', creds.namespace ?? 'default')
      .delete(door.ctx, creds.secret)
      .catch(absentOnNotFound);
  }
  return [];
}

/** get_hostcreds: HostCreds.to_dict_safe(), the key read as the caller (RBAC on secrets/values applies). */
export async function getHostCreds(door: CommissaireDoor, address: string): Promise<{ address: string; ssh_priv_key: string; remote_user: string }> {
  const host = requireHost(door, address);
  const key = await storedKey(door, host);
  return { address: host.spec.address, ssh_priv_key: Buffer.from(key, 'utf8').toString('base64'), remote_user: host.spec.remoteUser ?? 'root' };
}

/** get_host_status: only the host's part; drover's container managers report nothing per host. */
export function getHostStatus(door: CommissaireDoor, address: string): { type: string; host: { last_check: string; status: string }; container_manager: Record<string, never> } {
  const record = hostRecord(requireHost(door, address));
  return { type: 'host_only', host: { last_check: record.last_check, status: record.status }, container_manager: {} };
}

async function storedKey(door: CommissaireDoor, host: Host): Promise<string> {
  const creds = host.spec.credentials;
  const secret = await door.registry
    .kind<Secret>('secrets', creds.namespace ?? 'default')
    .reveal(door.ctx, creds.secret)
    .catch(absentOnNotFound);
  return secret?.spec.data?.[SSH_PRIVATE_KEY] ?? '';
}

function absentOnNotFound(err: unknown): undefined {
  if (err instanceof NotFound) return undefined;
  throw err;
}

/** The address of PUT /api/v0/host: the body's, else the peer's (a host adding itself from a boot script). */
export function inferredAddress(params: Record<string, unknown>, peer: string | undefined): string {
  const given = optionalString(params, 'address');
  if (given) return given;
  // ::ffff:10.0.0.5 is an IPv4 peer on a dual-stack socket.
  const address = peer?.startsWith('::ffff:') ? peer.slice(7) : peer;
  if (!address) throw badRequest('"address" must be given in the url or in the PUT body');
  return address;
}
