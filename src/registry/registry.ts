// The registry: the one door for every read and write, whichever front end a request comes in
// by (the native API, a façade, the console). `registry.kind(plural)` is the door to one kind;
// the rest is what the system endpoints, metrics, heartbeats and the task proxy need of the
// state, so none of them reaches around it.
import { Conflict, NotFound, Unavailable } from '../errors.js';
import { DEFAULT_NAMESPACE, secretEnvOf, type AnyObject, type Dataset, type Machine, type Secret, type Task, type Verb } from '../model/index.js';
import { allowAdministrators, type Attributes, type Authorizer } from '../security/authorizer.js';
import type { Keyring } from '../security/keyring.js';
import type { State, StoreSpace } from '../state/state.js';
import { authorize } from './authorize.js';
import type { RequestContext } from './context.js';
import { Credentials, type Token, type User } from './credentials.js';
import { checkUrlName, KindRegistry } from './kind-registry.js';
import { clusterAuthorizer } from './policy-source.js';
import { QuotaGate } from './quota-gate.js';
import type { Kind } from './kinds/kind.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { resealed, secretValues } from './kinds/secrets.js';
import { parseTaskStatusReport, reportTaskStatus, type TaskStatusResult } from './task-status-report.js';
import { parseEventReport, recordEvents, type EventReportResult } from './event-report.js';

export interface RegistryOptions {
  state: State;
  kinds: Kind[];
  /** Who may do what (default: administrators everything, agents all but credentials; see authorizer.ts). */
  authorizer?: Authorizer;
  /** What one object may cost (default DEFAULT_LIMITS). */
  limits?: Partial<Limits>;
  /**
   * The user filled into a task template that names none, for a caller without the tasks/root
   * permission (default "nobody"); empty: such a write is refused instead.
   */
  defaultTaskUser?: string;
  /**
   * Kinds kept in the state but served only through their own routes (Token and User: their
   * objects hold hashes); with them the registry has `credentials`.
   */
  internalKinds?: Kind[];
  /** The keys secrets are sealed with (without one, writing a secret answers 503). */
  keyring?: Keyring;
}

/** What the agent of a task gets to start it: the values its template takes from secrets. */
export interface TaskSecrets {
  /** Environment variables from secretKeyRefs, by name. */
  env: Record<string, string>;
  /** Files: `path` (under the task's secrets directory) → the secret's keys and values. */
  files: { path: string; data: Record<string, string> }[];
}

export interface KindStats {
  kind: string;
  objects: number;
  watchers: number;
}

/** The subresources a task's agent serves through the server, and the verb each needs. */
const TASK_PROXY_VERBS: Record<'log' | 'kill' | 'exec' | 'portforward', Verb> = { log: 'get', kill: 'create', exec: 'create', portforward: 'create' };

export class Registry {
  readonly kinds: Kind[];
  readonly authorizer: Authorizer;
  readonly limits: Limits;
  /** Tokens and users, when the state keeps them (see RegistryOptions.internalKinds). */
  readonly credentials?: Credentials;
  private readonly byPlural = new Map<string, KindRegistry>();

  constructor(private readonly opts: RegistryOptions) {
    this.kinds = opts.kinds;
    this.authorizer = opts.authorizer ?? (opts.kinds.some((k) => k.plural === 'rolebindings') ? clusterAuthorizer(opts.state) : allowAdministrators);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const defaultTaskUser = opts.defaultTaskUser ?? 'nobody';
    const quota = new QuotaGate(opts.state);
    for (const k of [...opts.kinds, ...(opts.internalKinds ?? [])]) {
      this.byPlural.set(k.plural, new KindRegistry({ kind: k, state: opts.state, authorizer: this.authorizer, limits: this.limits, defaultTaskUser, quota, strategy: { sealer: opts.keyring } }));
    }
    if (this.byPlural.has('tokens') && this.byPlural.has('users')) this.credentials = new Credentials(this.kind<Token>('tokens'), this.kind<User>('users'));
  }

  /**
   * The door to one kind, by its plural ("services"); with `namespace`, as seen from that
   * namespace (see KindRegistry.in).
   */
  kind<T extends AnyObject = AnyObject>(plural: string, namespace?: string): KindRegistry<T> {
    const k = this.byPlural.get(plural);
    if (!k) throw new Error(`unknown kind "${plural}"`);
    return (namespace === undefined ? k : k.in(namespace)) as unknown as KindRegistry<T>;
  }

  allowed(ctx: RequestContext, attrs: Attributes): boolean {
    return this.authorizer.allowed(ctx.principal, attrs);
  }

  /**
   * May the caller use `verb` on `resource` anywhere? Cluster-wide, or in some namespace: what
   * discovery lists. With `namespace`, there.
   */
  allowedSomewhere(ctx: RequestContext, verb: Verb, resource: string, subresource?: string, namespace?: string): boolean {
    const attrs: Attributes = { verb, resource, subresource, namespace };
    if (this.authorizer.allowed(ctx.principal, attrs)) return true;
    if (namespace !== undefined || !this.byPlural.get(resource)?.kind.namespaced) return false;
    return (this.authorizer.namespacesAllowed?.(ctx.principal, { verb, resource, subresource }).size ?? 0) > 0;
  }

  authorize(ctx: RequestContext, attrs: Attributes): void {
    authorize(this.authorizer, ctx, attrs);
  }

  // ---- system ----

  /** The store backend, the revision this server's cache has reached, and the cluster's id. */
  storeInfo(ctx: RequestContext): { backend: string; revision: number; clusterId: string } {
    this.authorize(ctx, { verb: 'get', resource: 'system' });
    return { backend: this.opts.state.backend, revision: this.opts.state.revision, clusterId: this.opts.state.clusterId };
  }

  /**
   * What a support bundle says of the store: its backend, revision and cluster id, the objects
   * and watchers of each kind (counts only: never a secret's value), and its space.
   */
  storeStatistics(ctx: RequestContext): { backend: string; revision: number; clusterId: string; kinds: KindStats[]; space?: StoreSpace } {
    this.authorize(ctx, { verb: 'get', resource: 'system', subresource: 'bundle' });
    const space = this.storeSpace();
    return { ...this.stats(), clusterId: this.opts.state.clusterId, ...(space ? { space } : {}) };
  }

  /** The endpoint of machine `name`'s agent, for its own log (system/logs: administrators by default). */
  async machineAgentEndpoint(ctx: RequestContext, name: string): Promise<string> {
    this.authorize(ctx, { verb: 'get', resource: 'system', subresource: 'logs' });
    checkUrlName(name);
    if (!(await this.opts.state.resources<Machine>('machines').getCurrent(name))) throw new NotFound(`machine "${name}" not found; drover get machines lists them`);
    return this.agentEndpoint(name);
  }

  /** The cluster's id, created with its store (agents check it: see agent/cluster-identity.ts). */
  get clusterId(): string {
    return this.opts.state.clusterId;
  }

  /**
   * Resolves when the store answers within `timeoutMs` and takes writes; Unavailable otherwise,
   * saying why (for /readyz, open to all): a load balancer should not send writes to a store
   * whose NOSPACE alarm refuses them.
   */
  async ready(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.opts.state.currentRevision(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } catch (err) {
      throw new Unavailable(`the store does not answer: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    const alarm = this.opts.state.storeSpace()?.alarm;
    if (alarm) throw new Unavailable(`NOSPACE alarm since ${alarm.since.toISOString()}: ${alarm.message}`);
  }

  /** The store's space against its quota and its alarm, read now (for /metrics); undefined on etcd. */
  storeSpace(): StoreSpace | undefined {
    return this.opts.state.storeSpace();
  }

  /** What /metrics reports of the state, read at scrape time. */
  stats(): { backend: string; revision: number; kinds: KindStats[] } {
    const state = this.opts.state;
    return {
      backend: state.backend,
      revision: state.revision,
      kinds: this.kinds.map((k) => ({ kind: k.kind, objects: state.cache(k.plural).size, watchers: state.cache(k.plural).watchers })),
    };
  }

  // ---- secrets ----

  /**
   * The secret values a task's template refers to, for the agent that starts it ("tasks/secrets":
   * the node authorizer allows it to the agent of the task's machine only). A missing secret or
   * key is NotFound, naming what refers to it. The values never enter the task or its status.
   */
  async taskSecrets(ctx: RequestContext, namespace: string, name: string): Promise<TaskSecrets> {
    this.authorize(ctx, { verb: 'get', resource: 'tasks', subresource: 'secrets', namespace, name });
    checkUrlName(name);
    const state = this.opts.state;
    await state.freshObject('tasks', `${namespace}/${name}`);
    const task = state.resources<Task>('tasks').get(`${namespace}/${name}`);
    if (!task) throw new NotFound(`task "${name}" not found in namespace "${namespace}"`);
    const template = task.spec.template;
    const out: TaskSecrets = { env: {}, files: [] };
    const valuesOf = async (secret: string, referrer: string): Promise<Record<string, string>> => {
      // A task's secrets are those of its own namespace.
      await state.freshObject('secrets', `${namespace}/${secret}`);
      const found = state.resources<Secret>('secrets').get(`${namespace}/${secret}`);
      if (!found) throw new NotFound(`secret "${secret}" not found in namespace "${namespace}" (${referrer} of task "${name}" refers to it); create it with drover secret create -n ${namespace}`);
      return secretValues(found, this.keyring());
    };
    for (const { name: env, ref } of secretEnvOf(template)) {
      const values = await valuesOf(ref.secret, `env ${env}`);
      if (!Object.hasOwn(values, ref.key)) {
        throw new NotFound(`secret "${ref.secret}" has no key "${ref.key}" (env ${env} of task "${name}" refers to it); its keys: ${Object.keys(values).join(', ') || 'none'}`);
      }
      out.env[env] = values[ref.key]!;
    }
    for (const files of template.secrets ?? []) {
      out.files.push({ path: files.path ?? files.secret, data: await valuesOf(files.secret, 'secrets') });
    }
    return out;
  }

  /**
   * Adds a new key to the keyring, seals every secret again under it, and then retires the old
   * keys; if any secret could not be sealed again the old keys stay (nothing becomes unreadable)
   * and the error says so: run it again.
   */
  async rotateSecretKey(ctx: RequestContext): Promise<{ keyId: string; resealed: number; retiredKeys: string[] }> {
    this.authorize(ctx, { verb: 'update', resource: 'secrets', subresource: 'keys' });
    const keyring = this.keyring();
    const keyId = keyring.addKey();
    const secrets = this.kind<Secret>('secrets');
    // Cache keys: namespace/name.
    const names = [...this.opts.state.cache('secrets').names()];
    let count = 0;
    for (const name of names) {
      try {
        await secrets.rewriteStored(name, (cur) => {
          const next = resealed(cur, keyring);
          if (next) count++;
          return next;
        });
      } catch (err) {
        if (err instanceof NotFound) continue; // deleted meanwhile
        throw new Conflict(`secret "${name}" could not be sealed again (${(err as Error).message}); the old keys are kept: run the rotation again`);
      }
    }
    return { keyId, resealed: count, retiredKeys: keyring.retireOthers() };
  }

  private keyring(): Keyring {
    if (!this.opts.keyring) throw new Unavailable('this server has no key to encrypt secrets with; start it with a data dir (its key file is created there)');
    return this.opts.keyring;
  }

  // ---- agents ----

  /**
   * An agent says its machine is alive: renews the machine's liveness lease only (no object is
   * written, so heartbeats never become a write storm). Answers the grace period, so agents
   * beat often enough for any server setting.
   */
  async heartbeat(ctx: RequestContext, machine: string): Promise<{ graceSeconds: number; clusterId: string; revision: number }> {
    checkUrlName(machine);
    this.authorize(ctx, { verb: 'update', resource: 'machines', subresource: 'status', name: machine });
    const state = this.opts.state;
    await this.requireMachine(machine);
    await state.liveness.heartbeat(machine);
    return { graceSeconds: state.liveness.graceSeconds, clusterId: state.clusterId, revision: state.revision };
  }

  /** Refuses a machine that is not registered (what an agent's heartbeat or report names). */
  private async requireMachine(machine: string): Promise<void> {
    if (!(await this.opts.state.resources('machines').getCurrent(machine))) throw new NotFound(`machine "${machine}" not found; register it first (POST /api/v1/machines)`);
  }

  /** An agent reports status changes of many of its machine's tasks at once (see task-status-report.ts). */
  async reportTaskStatus(ctx: RequestContext, machine: string, body: unknown): Promise<TaskStatusResult[]> {
    checkUrlName(machine);
    this.authorize(ctx, { verb: 'update', resource: 'machines', subresource: 'status', name: machine });
    const items = parseTaskStatusReport(body);
    await this.requireMachine(machine);
    return reportTaskStatus(this, ctx, machine, items);
  }

  /** An agent records many events at once (see event-report.ts); each is created as POST …/events would. */
  async reportEvents(ctx: RequestContext, machine: string, body: unknown): Promise<EventReportResult[]> {
    checkUrlName(machine);
    this.authorize(ctx, { verb: 'update', resource: 'machines', subresource: 'status', name: machine });
    const items = parseEventReport(body);
    await this.requireMachine(machine);
    return recordEvents(this, ctx, items);
  }

  /**
   * The task a log/kill/exec request is for, and the endpoint of the agent that runs it;
   * current even right after another server bound the task.
   */
  async taskEndpoint(ctx: RequestContext, name: string, subresource: keyof typeof TASK_PROXY_VERBS, namespace: string = DEFAULT_NAMESPACE): Promise<{ task: Task; endpoint: string }> {
    this.kind('tasks', namespace);
    this.authorize(ctx, { verb: TASK_PROXY_VERBS[subresource], resource: 'tasks', subresource, namespace, name });
    checkUrlName(name);
    const state = this.opts.state;
    const key = `${namespace}/${name}`;
    await state.freshObject('tasks', key);
    const task = state.resources<Task>('tasks').get(key);
    if (!task) throw new NotFound(`task "${name}" not found${namespace === DEFAULT_NAMESPACE ? '' : ` in namespace "${namespace}"`}`);
    const machineName = task.spec.machine;
    if (!machineName) throw new Conflict(`task "${name}" is not placed on a machine yet (phase ${task.status?.phase ?? 'Pending'})`);
    return { task, endpoint: await this.agentEndpoint(machineName) };
  }

  /**
   * The dataset a content request (GET …/datasets/{name}/content, a move's bytes) is for, and
   * the endpoint of the agent holding its live copy; that agent decides whether it sends now.
   */
  async datasetHolder(ctx: RequestContext, name: string, namespace: string = DEFAULT_NAMESPACE): Promise<{ dataset: Dataset; machine: string; endpoint: string }> {
    this.kind('datasets', namespace);
    this.authorize(ctx, { verb: 'get', resource: 'datasets', subresource: 'content', namespace, name });
    checkUrlName(name);
    const key = `${namespace}/${name}`;
    await this.opts.state.freshObject('datasets', key);
    const dataset = this.opts.state.resources<Dataset>('datasets').get(key);
    if (!dataset) throw new NotFound(`dataset "${name}" not found${namespace === DEFAULT_NAMESPACE ? '' : ` in namespace "${namespace}"`}`);
    const machine = dataset.status?.machine;
    if (!machine) throw new Conflict(`dataset "${name}" has no copy on any machine yet (phase ${dataset.status?.phase ?? 'Pending'})`);
    return { dataset, machine, endpoint: await this.agentEndpoint(machine) };
  }

  private async agentEndpoint(machineName: string): Promise<string> {
    const machine = await this.opts.state.resources<Machine>('machines').getCurrent(machineName);
    const endpoint = machine?.status?.agentEndpoint;
    if (!endpoint) throw new Unavailable(`the agent of machine ${machineName} has not published an endpoint; is it running?`);
    return endpoint;
  }
}
