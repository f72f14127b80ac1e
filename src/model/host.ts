// Host: a machine drover reaches over SSH (Commissaire's host). The server investigates it
// (facts over SSH), bootstraps it (starts a drover agent there) and links it to the Machine
// that agent registers. Field for field it maps onto Commissaire's host: address, status, os,
// cpus, memory, space, last_check, ssh_priv_key (a Secret here), remote_user, port.
import type { ApiObject, Condition } from './meta.js';

export const HOST_PHASES = ['investigating', 'bootstrapping', 'active', 'disassociated', 'failed'] as const;
export type HostPhase = (typeof HOST_PHASES)[number];

/** The label a bootstrapped agent puts on its Machine: the Host it runs on. */
export const HOST_LABEL = 'drover.io/host';

/** Keys of the credentials Secret (Kubernetes' kubernetes.io/ssh-auth names the key ssh-privatekey). */
export const SSH_PRIVATE_KEY = 'ssh-privatekey';
export const SSH_PASSPHRASE = 'passphrase';
export const SSH_PASSWORD = 'password';

/** An OpenSSH SHA-256 fingerprint as `ssh-keygen -l` prints it: SHA256: and 43 unpadded base64 characters. */
export const HOST_KEY_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export interface HostCredentials {
  /** The Secret's namespace (default "default"). */
  namespace?: string;
  /** The Secret holding ssh-privatekey (and passphrase when the key is encrypted), or password. */
  secret: string;
}

export interface HostSpec {
  /** IP address or DNS name the server connects to. */
  address: string;
  /** SSH port (default 22). */
  port?: number;
  /** The user the server logs in as (default root): it must be able to start the agent. */
  remoteUser?: string;
  credentials: HostCredentials;
  /**
   * The host key's SHA-256 fingerprint the server must find (ssh-keygen -lf). Absent: the key
   * seen on first contact is recorded in status.hostKeyFingerprint and required from then on;
   * set this to accept a host that was reinstalled with a new key.
   */
  hostKey?: string;
  /**
   * The Machine name the agent registers under. Absent: the host's /etc/machine-id. Hosts
   * cloned from one image share that file: give each its own id here.
   */
  machineId?: string;
  /** The cluster the host belongs to; none: it ends disassociated, as in Commissaire. */
  cluster?: string;
}

export interface HostStatus {
  phase?: HostPhase;
  /** Why it is in this phase, one CamelCase word (HostKeyChanged, Unreachable, AuthenticationFailed…). */
  reason?: string;
  message?: string;
  /** From /etc/os-release: its ID (fedora, debian, rhel…). */
  os?: string;
  /** The OS's PRETTY_NAME. */
  osName?: string;
  cpus?: number;
  /** Bytes (MemTotal). */
  memory?: number;
  /** Bytes available on / . */
  space?: number;
  /** When the server last reached the host (RFC 3339). */
  lastCheck?: string;
  /**
   * The host key's fingerprint recorded on first contact. Kept in status, not spec: the
   * controller writes only status, so a user's PUT of an older spec cannot drop the pin.
   */
  hostKeyFingerprint?: string;
  /** The Machine the host's agent registered. */
  machine?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

export type Host = ApiObject<HostSpec, HostStatus>;

/** The fingerprint the host must show: the one pinned in spec, else the one recorded on first contact. */
export function expectedHostKey(host: Host): string | undefined {
  return host.spec.hostKey ?? host.status?.hostKeyFingerprint;
}
