// What a task runs and where it may run: the template shared by Services (for each of their
// tasks) and Tasks, and the placement constraints fleet's [X-Fleet] rules map onto.

/** One systemd unit option, as fleet carries them: section, name, value. */
export interface UnitOption {
  section: string;
  name: string;
  value: string;
}

export type RestartPolicy = 'always' | 'on-failure' | 'never';

/**
 * cpu as cores (0.5) or millicores ("500m"); memory and disk as bytes or with a suffix ("64Mi").
 * A task's memory is also its limit: the agent kills a task whose processes use more.
 */
export interface ResourceRequest {
  cpu?: number | string;
  memory?: number | string;
  disk?: number | string;
}

export interface VolumeMount {
  dataset: string;
  path: string;
  readOnly?: boolean;
}

/**
 * A port the task listens on. With `port`, that fixed port on its machine (two tasks asking for
 * the same fixed port never share a machine); without, a dynamic one the scheduler allocates per
 * machine from the server's range (Nomad's way). The task gets PORT_<NAME> (and PORT for the first).
 */
export interface PortSpec {
  /** Letters, digits and "-"; PORT_<NAME> upper-cases it and turns "-" into "_". Default: "port<index>". */
  name?: string;
  port?: number;
  protocol?: 'tcp' | 'udp';
}

/** A port allocated to a task on its machine (task.spec.ports, set by the scheduler). */
export interface AllocatedPort {
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

export type HealthCheckType = 'http' | 'tcp' | 'exec';

/**
 * A health check the agent runs. readiness (the default) decides the task's Ready condition, and
 * with it endpoints, readyReplicas and rolling updates; liveness restarts the task after
 * failureThreshold consecutive failures.
 */
export interface HealthCheck {
  /** Unique in the template; default: "<role>-<type>-<index>". */
  name?: string;
  type: HealthCheckType;
  /** Default readiness. */
  role?: 'readiness' | 'liveness';
  /** http/tcp: a port name of template.ports or a number; default the first port. */
  port?: string | number;
  /** http: the path (default "/"). */
  path?: string;
  /** http: expected status range, "200-399" (default) or one code "204". */
  expectStatus?: string;
  /** exec: the command, run in the task's environment; healthy when it exits 0. */
  command?: string[];
  /** Default 10. */
  intervalSeconds?: number;
  /** Default 2. */
  timeoutSeconds?: number;
  /** Default 0. */
  initialDelaySeconds?: number;
  /** Consecutive successes to be healthy again (default 1). */
  successThreshold?: number;
  /** Consecutive failures to be unhealthy (default 3). */
  failureThreshold?: number;
}

/** An environment variable taken from a key of a secret (Kubernetes' secretKeyRef). */
export interface SecretKeyRef {
  secret: string;
  key: string;
}

/** One environment variable of the list form of `env`: a value, or a secret's key. */
export interface EnvVar {
  name: string;
  value?: string;
  secretKeyRef?: SecretKeyRef;
}

/** A secret's keys as files (mode 0600) under `secrets/<path>` of the task's directory (default path: the secret's name). */
export interface SecretFiles {
  secret: string;
  path?: string;
}

export interface TaskTemplate {
  /** Default: container when an image is given, unit when unit options are, else exec. */
  driver?: 'exec' | 'unit' | 'container';
  /** A container image, run through podman or docker (Flocker's containers); the machine needs a working engine. */
  image?: string;
  command?: string[];
  args?: string[];
  /** A map of values, or a list whose entries may take their value from a secret. */
  env?: Record<string, string> | EnvVar[];
  /** Secrets whose keys the task gets as files in its directory ($DROVER_SECRETS_DIR). */
  secrets?: SecretFiles[];
  workingDir?: string;
  resources?: ResourceRequest;
  restartPolicy?: RestartPolicy;
  /** SIGTERM → SIGKILL delay (default 10). */
  stopGraceSeconds?: number;
  /** systemd unit options (fleet units). */
  unit?: UnitOption[];
  volumes?: VolumeMount[];
  ports?: PortSpec[];
  /** Health checks the agent runs (readiness and liveness). */
  checks?: HealthCheck[];
  /** The user the processes run as (name or uid); none: root. Running as root needs the tasks/root permission. */
  user?: string;
  /** Their group (name or gid); none: the user's primary group. */
  group?: string;
  /** Executables that must be in PATH on the machine: the agent fails the task with reason MissingBinary, once, instead of starting it. */
  requires?: string[];
  /** Where they come from, for that message ("apt-get install redis-server"). */
  requiresFrom?: string;
  /** Notes on the template for tools, not the task (drover.io/restartedAt): a change rolls the tasks over like any template change. */
  annotations?: Record<string, string>;
}

/** The reason of a task its agent failed because its template `requires` a program the machine lacks; its service does not replace it in a loop. */
export const MISSING_BINARY = 'MissingBinary';

/** Whether a template's processes would run as uid 0: no user, "root" or "0". */
export function runsAsRoot(t: Pick<TaskTemplate, 'user'>): boolean {
  return t.user === undefined || t.user === 'root' || /^0+$/.test(t.user);
}

/** Placement constraints; fleet's [X-Fleet] options map onto these one to one. */
export interface Constraints {
  /** Label match: AND across keys, OR within a list of values (fleet MachineMetadata). */
  machineSelector?: Record<string, string | string[]>;
  /** Globs of service names not to share a machine with. */
  conflicts?: string[];
  /** Run on the machine of a task of this service (of each of these services). */
  machineOf?: string | string[];
  /** Globs of service names whose tasks this one pushes off its machine (fleet's Replaces=). */
  replaces?: string[];
  /** Pinned machine name (machine ID; fleet's 8-character short ID matches too). */
  machine?: string;
}

/** The plain values of a template's environment (a secret's keys come from the server, separately). */
export function plainEnv(env: TaskTemplate['env']): Record<string, string> {
  if (!Array.isArray(env)) return env ?? {};
  const out: Record<string, string> = {};
  for (const e of env) if (e.value !== undefined) out[e.name] = e.value;
  return out;
}

/** The environment variables a template takes from secrets. */
export function secretEnvOf(t: TaskTemplate): { name: string; ref: SecretKeyRef }[] {
  if (!Array.isArray(t.env)) return [];
  return t.env.flatMap((e) => (e.secretKeyRef ? [{ name: e.name, ref: e.secretKeyRef }] : []));
}

/** Whether a task of this template needs secret values from the server before it starts. */
export function usesSecrets(t: TaskTemplate): boolean {
  return !!t.secrets?.length || secretEnvOf(t).length > 0;
}

/** A template port with its defaults filled in: name "port<index>", protocol tcp. */
export interface ResolvedPort {
  name: string;
  /** Fixed; absent: dynamic. */
  port?: number;
  protocol: 'tcp' | 'udp';
}

/** A template's ports with their defaults, in template order (what the scheduler allocates). */
export function templatePorts(t: Pick<TaskTemplate, 'ports'>): ResolvedPort[] {
  return (t.ports ?? []).map((p, i) => ({ name: p.name ?? `port${i}`, ...(p.port !== undefined ? { port: p.port } : {}), protocol: p.protocol ?? 'tcp' }));
}

/** The environment variable of a port: PORT_<NAME>, upper-cased, "-" turned into "_". */
export function portEnvName(name: string): string {
  return `PORT_${name.toUpperCase().replace(/-/g, '_')}`;
}
