// Host: schema and strategy. A host is reached over SSH with a private key (or password) kept in
// a Secret; the server, not the caller, reads that secret, so the spec names it and never holds
// the key. What the schema cannot say is checked here: the address is an IP or a DNS name, the
// user a login name, a pinned host key an OpenSSH SHA-256 fingerprint.
import { isIP } from 'node:net';
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import { HOST_KEY_FINGERPRINT, HOST_PHASES, type Host, type HostSpec as ModelSpec, type HostStatus as ModelStatus } from '../../model/index.js';
import { nameProblem } from '../names.js';
import { Condition } from './common.js';
import { defineKind, type Expect, type Same } from './kind.js';

const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** POSIX portable login names (useradd's default rule). */
const LOGIN_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const MACHINE_ID = /^[0-9a-f]{32}$/;

const HostSpec = Type.Object(
  {
    address: Type.String({ minLength: 1, description: 'IP address or DNS name the server connects to over SSH' }),
    port: Type.Optional(Type.Integer({ description: 'SSH port (default 22)' })),
    remoteUser: Type.Optional(Type.String({ description: 'user the server logs in as (default root); it must be able to start the agent' })),
    credentials: Type.Object(
      {
        namespace: Type.Optional(Type.String({ description: 'namespace of the secret (default "default")' })),
        secret: Type.String({ description: 'secret holding ssh-privatekey (and passphrase for an encrypted key), or password' }),
      },
      { additionalProperties: false },
    ),
    hostKey: Type.Optional(Type.String({ description: 'SHA-256 fingerprint of the host key (SHA256:…, as ssh-keygen -lf prints it); absent: the key seen on first contact is recorded and required afterwards' })),
    machineId: Type.Optional(Type.String({ description: '32-hex machine id the agent registers under (default: the host\'s /etc/machine-id; set it for hosts cloned from one image)' })),
    cluster: Type.Optional(Type.String({ description: 'cluster the host belongs to; none: it ends disassociated' })),
  },
  { additionalProperties: false },
);

const HostStatus = Type.Object(
  {
    phase: Type.Optional(Type.Union(HOST_PHASES.map((p) => Type.Literal(p)))),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    os: Type.Optional(Type.String({ description: 'ID from /etc/os-release' })),
    osName: Type.Optional(Type.String({ description: 'PRETTY_NAME from /etc/os-release' })),
    cpus: Type.Optional(Type.Integer({ minimum: 0 })),
    memory: Type.Optional(Type.Integer({ minimum: 0, description: 'bytes' })),
    space: Type.Optional(Type.Integer({ minimum: 0, description: 'bytes available on /' })),
    lastCheck: Type.Optional(Type.String()),
    hostKeyFingerprint: Type.Optional(Type.String({ description: 'host key fingerprint recorded on first contact' })),
    machine: Type.Optional(Type.String({ description: 'the Machine the host\'s agent registered' })),
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof HostSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof HostStatus>, ModelStatus>>;

export const hosts = defineKind({
  kind: 'Host',
  plural: 'hosts',
  shortNames: ['host'],
  description: 'A machine the server reaches over SSH: it gathers the host\'s facts, starts a drover agent there and links the host to the Machine that agent registers.',
  spec: HostSpec,
  status: HostStatus,
  defaults: (spec) => ({ ...spec, port: spec.port ?? 22, remoteUser: spec.remoteUser ?? 'root', credentials: { ...spec.credentials, namespace: spec.credentials.namespace ?? 'default' } }),
  validate: (host) => checkSpec(host),
  // The server reads the secret's key to log in: only someone who may read it may point a host at it.
  uses: (host) => [{ verb: 'get', resource: 'secrets', subresource: 'values', namespace: host.spec.credentials.namespace ?? 'default', name: host.spec.credentials.secret }],
  fields: {
    'spec.address': (h) => h.spec.address,
    'spec.cluster': (h) => h.spec.cluster,
    'status.phase': (h) => h.status?.phase,
    'status.machine': (h) => h.status?.machine,
  },
});

function checkSpec(host: Host): FieldError[] {
  const spec = host.spec;
  const errs: FieldError[] = [];
  if (isIP(spec.address) === 0 && !DNS_NAME.test(spec.address)) {
    errs.push({ path: '/spec/address', message: `must be an IP address or a DNS name, got "${spec.address}"` });
  }
  if (spec.port !== undefined && (spec.port < 1 || spec.port > 65535)) errs.push({ path: '/spec/port', message: `must be a TCP port from 1 to 65535, got ${spec.port}` });
  if (spec.remoteUser !== undefined && !LOGIN_NAME.test(spec.remoteUser)) {
    errs.push({ path: '/spec/remoteUser', message: `must be a login name (lowercase letters, digits, _ and -, starting with a letter or _, at most 32), got "${spec.remoteUser}"` });
  }
  const named = (path: string, what: string, value: string | undefined) => {
    const problem = value === undefined ? undefined : nameProblem(value);
    if (problem) errs.push({ path, message: `must name a ${what}: ${problem}` });
  };
  named('/spec/credentials/secret', 'secret', spec.credentials.secret);
  named('/spec/credentials/namespace', 'namespace', spec.credentials.namespace);
  if (spec.hostKey !== undefined && !HOST_KEY_FINGERPRINT.test(spec.hostKey)) {
    errs.push({ path: '/spec/hostKey', message: 'must be a SHA-256 fingerprint as ssh-keygen -lf prints it (SHA256: and 43 base64 characters); run ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host' });
  }
  if (spec.machineId !== undefined && !MACHINE_ID.test(spec.machineId)) errs.push({ path: '/spec/machineId', message: `must be 32 lowercase hex characters (like /etc/machine-id), got "${spec.machineId}"` });
  named('/spec/cluster', 'cluster', spec.cluster);
  return errs;
}
