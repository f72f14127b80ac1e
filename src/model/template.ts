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

export interface PortSpec {
  name?: string;
  port: number;
  protocol?: 'tcp' | 'udp';
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
  /** The user the processes run as (name or uid); none: root. Running as root needs the tasks/root permission. */
  user?: string;
  /** Their group (name or gid); none: the user's primary group. */
  group?: string;
  /** Executables that must be in PATH on the machine: the agent fails the task with reason MissingBinary, once, instead of starting it. */
  requires?: string[];
  /** Where they come from, for that message ("apt-get install redis-server"). */
  requiresFrom?: string;
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
