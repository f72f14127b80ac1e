// Opening an SSH session to a Host with the credentials its Secret holds and the host key it
// must show: the one door the host controller and the cluster operations both go through, so a
// missing secret or a changed host key reads the same wherever it is met.
import { NotFound } from '../errors.js';
import { SSH_PASSPHRASE, SSH_PASSWORD, SSH_PRIVATE_KEY, expectedHostKey, type Host } from '../model/index.js';
import { SshSession } from './ssh.js';

/** A failure with the one-word reason that goes into a Host's status.reason. */
export class HostFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface HostAccess {
  /** The values of a secret, read as the server's own principal. */
  secretValues(namespace: string, name: string): Promise<Record<string, string>>;
  /** Connection and handshake deadline (default 10 s). */
  connectTimeoutMs?: number;
}

/** Connects to the host as its spec says; throws HostFailure for credentials, SshError for SSH. */
export async function connectHost(host: Host, access: HostAccess): Promise<SshSession> {
  const { namespace = 'default', secret } = host.spec.credentials;
  let values: Record<string, string>;
  try {
    values = await access.secretValues(namespace, secret);
  } catch (err) {
    const missing = err instanceof NotFound;
    throw new HostFailure(
      missing ? 'CredentialsNotFound' : 'CredentialsUnreadable',
      missing ? `secret "${secret}" not found in namespace "${namespace}": create it with the key ${SSH_PRIVATE_KEY} (drover secret create -n ${namespace})` : (err as Error).message,
    );
  }
  if (!values[SSH_PRIVATE_KEY] && !values[SSH_PASSWORD]) {
    throw new HostFailure('CredentialsInvalid', `secret "${secret}" in namespace "${namespace}" has neither ${SSH_PRIVATE_KEY} nor ${SSH_PASSWORD}; its keys: ${Object.keys(values).join(', ') || 'none'}`);
  }
  const expected = expectedHostKey(host);
  return SshSession.connect({
    address: host.spec.address,
    port: host.spec.port ?? 22,
    user: host.spec.remoteUser ?? 'root',
    ...(values[SSH_PRIVATE_KEY] ? { privateKey: values[SSH_PRIVATE_KEY] } : {}),
    ...(values[SSH_PASSPHRASE] ? { passphrase: values[SSH_PASSPHRASE] } : {}),
    ...(values[SSH_PASSWORD] ? { password: values[SSH_PASSWORD] } : {}),
    ...(expected ? { expectedFingerprint: expected } : {}),
    timeoutMs: access.connectTimeoutMs ?? 10_000,
  });
}
