// The one door to the objects of one kind (Kubernetes' registry/generic store plus the kind's
// strategy). Every read and write, whichever front end it comes from, runs in one order:
// authorize, decode → defaults → validate, the kind's strategy hooks (validate update, status
// transitions), then compare-and-swap through state/. Errors are the API's catalog.
import { AlreadyExists, BadRequest, Conflict, Forbidden, Gone, Invalid, NotFound, type FieldError } from '../errors.js';
import { DEFAULT_NAMESPACE, namespaceNameProblem, type AnyObject, type QuotaUsage, type Verb } from '../model/index.js';
import { denialMessage, type Attributes, type Authorizer } from '../security/authorizer.js';
import { admitWrite } from './admission.js';
import { checkUrlName, nameOfBody, namespaceOfBody } from './body-names.js';
import type { Resources } from '../state/resources.js';
import type { State } from '../state/state.js';
import type { Entry, WatchCache, WatchFilter } from '../state/watch-cache.js';
import type { RequestContext } from './context.js';
import { decodeObject, decodeStatus, requireObjectBody } from './decode.js';
import type { Kind, Lookup, StrategyContext } from './kinds/kind.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { listPage, type ListPage, type ListRequest } from './list.js';
import { applyPatch, patchedView, type Patch } from './patch.js';
import { checkPatchedPreconditions, withBodyPreconditions, type Preconditions } from './preconditions.js';
import { authorize } from './authorize.js';

export { checkUrlName };
import type { QuotaGate } from './quota-gate.js';

/** What every view of a kind shares. */
export interface KindDoorOptions {
  kind: Kind;
  state: State;
  authorizer: Authorizer;
  limits?: Limits;
  /** See RegistryOptions.defaultTaskUser. */
  defaultTaskUser?: string;
  /** Serializes the creates a namespace quota counts (tasks). */
  quota?: QuotaGate;
  /** What the kind's strategy may use beyond the object (the secrets keyring). */
  strategy?: StrategyContext;
}

/** Where a watch reads its events from, once the registry has allowed and checked it. */
export interface WatchSource<T extends AnyObject = AnyObject> {
  cache: WatchCache<T>;
  filter: WatchFilter;
  /** Resume after this revision; undefined: the current state first. */
  revision?: number;
  /** Set when the store is unreachable (since then): the cache the watch starts from may be out of date. */
  staleSince?: Date;
}

/** A read's answer; `staleSince` when it came from a cache the store could not vouch for, unreachable since then. */
export interface Read<T> {
  value: T;
  staleSince?: Date;
}

/**
 * The door to one kind; for a namespaced kind, as seen from one namespace (`in(ns)`) or from
 * the old URLs without one: there a single object is in "default", and a list or watch spans
 * every namespace the caller may see.
 */
export class KindRegistry<T extends AnyObject = AnyObject> {
  readonly cache: WatchCache<T>;
  private readonly repo: Resources<T>;
  /** The views of a namespaced kind, by namespace (held by the view without one). */
  private readonly views: Map<string, KindRegistry<T>>;

  readonly kind: Kind;
  /** The namespace of this view (namespaced kinds); undefined: the old URLs' view, see the class comment. */
  readonly namespace?: string;
  private readonly state: State;
  private readonly authorizer: Authorizer;
  private readonly limits: Limits;
  /** Filled into a template without a user for a caller who may not run tasks as root ('': refuse). */
  private readonly defaultTaskUser: string;
  private readonly quota?: QuotaGate;
  private readonly options: KindDoorOptions;
  /** What the kind's strategy may use beyond the object (the secrets keyring). */
  private readonly strategy: StrategyContext;

  constructor(options: KindDoorOptions, namespace?: string, views?: Map<string, KindRegistry<T>>) {
    this.options = options;
    this.kind = options.kind;
    this.state = options.state;
    this.authorizer = options.authorizer;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.defaultTaskUser = options.defaultTaskUser ?? 'nobody';
    this.quota = options.quota;
    this.strategy = options.strategy ?? {};
    this.namespace = namespace;
    this.repo = this.state.resources<T>(this.kind.plural);
    this.cache = this.repo.cache;
    this.views = views ?? new Map();
  }

  get plural(): string {
    return this.kind.plural;
  }

  /**
   * This kind as seen from `namespace` (undefined: the view without one). BadRequest for an
   * invalid name, NotFound for a namespace that does not exist, BadRequest for a cluster-wide kind.
   */
  in(namespace: string | undefined): KindRegistry<T> {
    if (namespace === undefined) return this.namespace === undefined ? this : this.views.get('')!;
    if (!this.kind.namespaced) throw new BadRequest(`${this.kind.plural} are not namespaced: use /api/v1/${this.kind.plural} without a namespace`);
    const cached = this.views.get(namespace);
    if (!cached) {
      const problem = namespaceNameProblem(namespace);
      if (problem) throw new BadRequest(problem);
    }
    if (!this.state.cache('namespaces').get(namespace)) throw new NotFound(`namespace "${namespace}" not found; create it first (drover apply -f with kind: Namespace, or POST /api/v1/namespaces)`);
    if (cached) return cached;
    if (!this.views.has('')) this.views.set('', this);
    const view = new KindRegistry<T>(this.options, namespace, this.views);
    this.views.set(namespace, view);
    return view;
  }

  /** The namespace a single object of this view is in (undefined for a cluster-wide kind). */
  private get objectNamespace(): string | undefined {
    return this.kind.namespaced ? (this.namespace ?? DEFAULT_NAMESPACE) : undefined;
  }

  /** The cache key of `name` in this view. */
  private key(name: string): string {
    return this.kind.namespaced ? `${this.namespace ?? DEFAULT_NAMESPACE}/${name}` : name;
  }

  /** A list's or watch's filter narrowed to what this view, and the caller, may see. */
  private scoped(ctx: RequestContext, verb: Verb, filter: WatchFilter): WatchFilter {
    const only = this.authorizer.listRestriction?.(ctx.principal, this.kind.plural);
    if (only) filter = { ...filter, fields: [...(filter.fields ?? []), { field: only.field, op: '=', value: only.value }] };
    return this.scopedToNamespaces(ctx, verb, filter);
  }

  private scopedToNamespaces(ctx: RequestContext, verb: Verb, filter: WatchFilter): WatchFilter {
    if (!this.kind.namespaced) {
      this.allow(ctx, verb);
      return filter;
    }
    if (this.namespace !== undefined) {
      this.allow(ctx, verb);
      return { ...filter, namespace: this.namespace };
    }
    // Across all namespaces: everything when allowed cluster-wide, else the namespaces allowed.
    const attrs: Attributes = { verb, resource: this.kind.plural };
    if (this.authorizer.allowed(ctx.principal, attrs)) return filter;
    const namespaces = this.authorizer.namespacesAllowed?.(ctx.principal, attrs) ?? new Set<string>();
    if (namespaces.size === 0) throw new Forbidden(denialMessage(ctx.principal, attrs));
    return { ...filter, namespaces };
  }

  can(verb: Verb): boolean {
    return this.kind.verbs.includes(verb);
  }

  // ---- reads ----

  /**
   * The cached entry (object, JSON bytes, ETag), or NotFound. On SQLite the cache is current
   * when a write is acknowledged, so this answers without awaiting anything (GET is the hottest
   * path); on etcd it first makes the read current across servers, or says it could not.
   */
  get(ctx: RequestContext, name: string): Read<Entry<T>> | Promise<Read<Entry<T>>> {
    this.allow(ctx, 'get', undefined, name);
    const key = this.key(name);
    const entry = this.cache.get(key);
    // A cached object's name was checked when it was written; only a miss needs checking.
    if (!entry) checkUrlName(name);
    // After the quorum read the cache may hold a newer version (or none): look again.
    if (this.state.consistentReads) {
      return this.state.freshObject(this.kind.plural, key).then((staleSince) => ({ value: this.found(name, this.cache.get(key)), staleSince }));
    }
    return { value: this.found(name, entry) };
  }

  /** The current object, or undefined when there is none. */
  async find(ctx: RequestContext, name: string): Promise<T | undefined> {
    this.allow(ctx, 'get', undefined, name);
    checkUrlName(name);
    const key = this.key(name);
    await this.state.freshObject(this.kind.plural, key);
    return this.cache.get(key)?.object;
  }

  /** Objects as the cache holds them, for a door that filters and shapes them itself (façades). */
  list(ctx: RequestContext, filter: WatchFilter = {}): T[] {
    return this.repo.list(this.scoped(ctx, 'list', filter));
  }

  /** A page of a list, as encoded bytes, current on every server (see State.freshRevision). */
  async listPage(ctx: RequestContext, req: ListRequest): Promise<ListPage> {
    return listPage(this.state, this.repo, { ...req, filter: this.scoped(ctx, 'list', req.filter) });
  }

  /**
   * Allows and checks a watch; the caller streams from the returned source. A watch starts from
   * the cache without a quorum read of its own (unless its revision is ahead of the cache), so
   * whether that may be out of date is what the state last learned of the store.
   */
  async watch(ctx: RequestContext, filter: WatchFilter, revision: number | undefined): Promise<WatchSource<T>> {
    if (filter.name !== undefined) {
      // One object: in this view's namespace ("default" on the old URLs), as a get would be.
      this.allow(ctx, 'watch', undefined, filter.name);
      if (!this.cache.get(this.key(filter.name))) checkUrlName(filter.name);
      if (this.kind.namespaced) filter = { ...filter, namespace: this.objectNamespace };
    } else {
      filter = this.scoped(ctx, 'watch', filter);
    }
    let staleSince = this.state.unreachableSince;
    // A revision from another server (a client failing over) may be ahead of this cache.
    if (revision !== undefined && revision > this.cache.revision) {
      const current = await this.state.freshRevision(this.kind.plural);
      if (revision > current.revision) throw new BadRequest(`parameter revision ${revision} is newer than the server's current revision ${current.revision}`);
      staleSince = current.staleSince;
    }
    if (revision !== undefined && revision < this.cache.oldestRevision) {
      throw new Gone(
        `revision ${revision} is too old to resume a watch of ${this.kind.plural} (oldest: ${this.cache.oldestRevision}); list again and watch from the list's revision`,
      );
    }
    return { cache: this.cache, filter, revision, staleSince };
  }

  /**
   * The object with what its stored form hides put back (a secret's values), for a caller
   * allowed `<plural>/values`; BadRequest for a kind that hides nothing.
   */
  async reveal(ctx: RequestContext, name: string): Promise<T> {
    const reveal = this.revealer();
    this.allow(ctx, 'get', undefined, name);
    this.allow(ctx, 'get', 'values', name);
    checkUrlName(name);
    const key = this.key(name);
    await this.state.freshObject(this.kind.plural, key);
    return reveal(this.found(name, this.cache.get(key)).object);
  }

  /** A list with what the stored forms hide put back (see reveal), from the current state. */
  async revealList(ctx: RequestContext, filter: WatchFilter): Promise<{ revision: number; items: T[] }> {
    const reveal = this.revealer();
    filter = this.scoped(ctx, 'list', filter);
    // Across all namespaces, the values of every namespace: a cluster-wide permission.
    authorize(this.authorizer, ctx, { verb: 'get', resource: this.kind.plural, subresource: 'values', namespace: this.namespace });
    const { revision } = await this.state.freshRevision(this.kind.plural);
    return { revision, items: this.repo.list(filter).map(reveal) };
  }

  private revealer(): (o: T) => T {
    const reveal = this.kind.options.reveal as ((o: T, c: StrategyContext) => T) | undefined;
    if (!reveal) throw new BadRequest(`${this.kind.plural} have nothing to reveal: showValues is a parameter of secrets`);
    return (o) => reveal(o, this.strategy);
  }

  /** Resolves with the object once `done(object)` holds, or with its latest state at the deadline. */
  waitFor(name: string, done: (o: T) => boolean, ms: number): Promise<T | undefined> {
    const key = this.key(name);
    const current = this.cache.get(key)?.object;
    if (!current || done(current)) return Promise.resolve(current);
    return new Promise((resolve) => {
      const finish = (o: T | undefined) => {
        clearTimeout(timer);
        sub.close();
        resolve(o);
      };
      const timer = setTimeout(() => finish(this.cache.get(key)?.object), ms);
      const sub = this.cache.subscribe(
        { name, ...(this.kind.namespaced ? { namespace: this.objectNamespace } : {}) },
        {
          send: (ev, type) => {
            if (type === 'DELETED') finish(undefined);
            else if (done(ev.entry.object)) finish(ev.entry.object);
          },
          bookmark: () => {},
        },
        this.cache.revision,
      );
    });
  }

  // ---- writes ----

  /** Creates an object from a body; a generated name is drawn again if another create took it meanwhile. */
  async create(ctx: RequestContext, body: unknown): Promise<T> {
    // On the old URLs a body may say where it goes (a manifest with its namespace).
    const bodyNamespace = this.kind.namespaced ? namespaceOfBody(body) : undefined;
    if (this.kind.namespaced && this.namespace === undefined && bodyNamespace !== undefined) return this.in(bodyNamespace).create(ctx, body);
    if (this.kind.namespaced) this.in(this.objectNamespace);
    this.allow(ctx, 'create', undefined, nameOfBody(body));
    const namespace = this.objectNamespace;
    let generatedFrom: string | undefined;
    let obj = this.admitted(ctx, this.prepared(this.placed(decodeObject(this.kind, body, { generateName: (p) => this.repo.generateName((generatedFrom = p), namespace) }, this.limits) as T)), undefined);
    // A generated name is checked against the cache, but two creates in flight together (or on
    // two servers) can draw the same one: the loser draws again instead of answering 409 to a
    // client that never chose the name.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.createWithinQuota(this.stored(obj, undefined));
      } catch (err) {
        if (!(err instanceof AlreadyExists) || generatedFrom === undefined || attempt >= 5) throw err;
        obj = { ...obj, metadata: { ...obj.metadata, name: this.repo.generateName(generatedFrom, namespace) } };
      }
    }
  }

  /** PUT: creates the object, or replaces its spec side (status is kept); `created` says which. */
  async replace(ctx: RequestContext, name: string, body: unknown, pre: Preconditions = {}): Promise<{ object: T; created: boolean }> {
    this.allow(ctx, 'update', undefined, name);
    checkUrlName(name);
    const input = requireObjectBody(body);
    const key = this.key(name);
    if (!this.cache.get(key) && this.kind.namespaced) this.in(this.objectNamespace);
    const decoded = this.prepared(this.placed(decodeObject(this.kind, input, { name }, this.limits) as T));
    pre = withBodyPreconditions(pre, input.metadata);
    if (!this.cache.get(key)) {
      if (pre.revision !== undefined || pre.uid !== undefined) throw this.notFound(name);
      try {
        return { object: await this.createWithinQuota(this.stored(this.admitted(ctx, decoded, undefined), undefined)), created: true };
      } catch (err) {
        if (!(err instanceof AlreadyExists)) throw err;
      }
    }
    const object = await this.repo.update(
      key,
      (cur) => this.stored(this.checkUpdate(this.admitted(ctx, { ...decoded, status: cur.status, metadata: { ...decoded.metadata, finalizers: decoded.metadata.finalizers ?? cur.metadata.finalizers } }, cur), cur), cur),
      pre,
    );
    return { object, created: false };
  }

  /** PATCH of the spec side: the patch applies to the whole object as GET shows it. */
  async patch(ctx: RequestContext, name: string, patch: Patch, pre: Preconditions = {}): Promise<T> {
    this.allow(ctx, 'patch', undefined, name);
    return this.change(ctx, name, pre, (cur) => {
      const patched = applyPatch(patch, cur, this.limits) as AnyObject;
      checkPatchedPreconditions(patched, cur);
      return patched;
    });
  }

  /**
   * A read-modify-write of the spec side for a door that builds the new object itself (a
   * façade): `mutate` returns the object as a client would PUT it, or undefined for no change;
   * it is decoded and validated like any other write.
   */
  async update(ctx: RequestContext, name: string, mutate: (current: T) => unknown, pre: Preconditions = {}): Promise<T> {
    this.allow(ctx, 'update', undefined, name);
    return this.change(ctx, name, pre, mutate);
  }

  /**
   * Runs every check a write would (permission, decoding, validation, the kind's rules about
   * the change) without writing: a door that must apply several writes all or nothing checks
   * each first. Resolves with the object as it would be written.
   */
  async dryRun(ctx: RequestContext, name: string, next: (current: T | undefined) => unknown): Promise<T> {
    checkUrlName(name);
    const current = await this.repo.getCurrent(this.key(name));
    this.allow(ctx, current ? 'update' : 'create', undefined, name);
    const body = next(current);
    const obj = this.prepared(this.placed(decodeObject(this.kind, body, { name }, this.limits) as T));
    if (!current) return this.stored(this.admitted(ctx, obj, undefined), undefined);
    return this.stored(this.checkUpdate(this.admitted(ctx, { ...obj, status: current.status }, current), current), current);
  }

  async delete(ctx: RequestContext, name: string, pre: Preconditions = {}): Promise<T> {
    this.allow(ctx, 'delete', undefined, name);
    checkUrlName(name);
    const key = this.key(name);
    const checkDelete = this.kind.options.checkDelete as ((o: T, l: Lookup) => string | undefined) | undefined;
    if (checkDelete) {
      const current = await this.repo.getCurrent(key);
      const refusal = current && checkDelete(current, this.lookup);
      if (refusal) throw new Conflict(refusal);
    }
    const tombstone = this.kind.options.tombstone as ((o: T) => T | undefined) | undefined;
    if (tombstone) {
      if (!(await this.repo.getCurrent(key))) throw this.notFound(name);
      return this.repo.update(key, tombstone, pre);
    }
    return this.repo.delete(key, pre);
  }

  /** PUT /status: replaces the status; the spec side is untouched. */
  async replaceStatus(ctx: RequestContext, name: string, body: unknown, pre: Preconditions = {}): Promise<T> {
    this.allow(ctx, 'update', 'status', name);
    checkUrlName(name);
    const input = requireObjectBody(body);
    const meta = input.metadata as { name?: unknown } | undefined;
    if (meta?.name !== undefined && meta.name !== name) {
      throw new BadRequest(`the body's metadata.name "${String(meta.name)}" does not match the name in the URL "${name}"`);
    }
    const status = decodeStatus(this.kind, input.status, this.limits);
    return this.repo.update(this.key(name), (cur) => ({ ...cur, status: this.allowedStatus(cur, status) }), withBodyPreconditions(pre, meta));
  }

  /** PATCH /status: the patch applies to the whole object; only its status is kept. `check` may refuse the current object (it throws). */
  async patchStatus(ctx: RequestContext, name: string, patch: Patch, pre: Preconditions = {}, check?: (current: T) => void): Promise<T> {
    this.allow(ctx, 'patch', 'status', name);
    checkUrlName(name);
    const key = this.key(name);
    if (!(await this.repo.getCurrent(key))) throw this.notFound(name);
    return this.repo.update(
      key,
      (cur) => {
        check?.(cur);
        const patched = patchedView(patch, cur, this.limits) as AnyObject;
        checkPatchedPreconditions(patched, cur);
        return { ...cur, status: this.allowedStatus(cur, decodeStatus(this.kind, patched.status, this.limits)) };
      },
      pre,
    );
  }

  // ---- the strategy ----

  private async change(ctx: RequestContext, name: string, pre: Preconditions, mutate: (current: T) => unknown): Promise<T> {
    checkUrlName(name);
    const key = this.key(name);
    if (!(await this.repo.getCurrent(key))) throw this.notFound(name);
    return this.repo.update(
      key,
      (cur) => {
        const next = mutate(cur);
        if (next === undefined) return undefined;
        return this.stored(this.checkUpdate(this.admitted(ctx, { ...this.prepared(this.placed(decodeObject(this.kind, next, { name }, this.limits) as T)), status: cur.status }, cur), cur), cur);
      },
      pre,
    );
  }

  /** See admitWrite (registry/admission.ts). */
  private admitted(ctx: RequestContext, obj: T, current: T | undefined): T {
    return admitWrite({ kind: this.kind, authorizer: this.authorizer, defaultTaskUser: this.defaultTaskUser, namespace: this.objectNamespace }, ctx, obj, current);
  }

  /** Creates the object; one its namespace's quota counts only if it fits (see QuotaGate). */
  private createWithinQuota(obj: T): Promise<T> {
    const ask = this.kind.options.quotaAsk as ((o: T) => QuotaUsage) | undefined;
    if (!this.quota || !ask || !this.kind.namespaced) return this.repo.create(obj);
    return this.quota.admit(this.objectNamespace!, ask(obj), () => this.repo.create(obj));
  }

  /** The kind's admission step (see KindOptions.prepare). */
  private prepared(obj: T): T {
    const prepare = this.kind.options.prepare as ((o: T, l: Lookup) => T) | undefined;
    return prepare ? prepare(obj, this.lookup) : obj;
  }

  /**
   * A decoded object in this view's namespace: a body naming another namespace than the URL's
   * is the caller's mistake (400); a cluster-wide kind's object has none.
   */
  private placed(obj: T): T {
    const given = obj.metadata.namespace;
    if (!this.kind.namespaced) {
      if (given !== undefined) delete obj.metadata.namespace;
      return obj;
    }
    const namespace = this.objectNamespace!;
    if (given !== undefined && given !== namespace) {
      throw new BadRequest(`the body's metadata.namespace "${given}" does not match the namespace of the request "${namespace}"`);
    }
    obj.metadata.namespace = namespace;
    return obj;
  }

  /** The kind's stored form of an object about to be written (see KindOptions.toStored). */
  private stored(next: T, current: T | undefined): T {
    const toStored = this.kind.options.toStored as ((n: T, c: T | undefined, s: StrategyContext) => T) | undefined;
    return toStored ? toStored(next, current, this.strategy) : next;
  }

  /**
   * Replaces a stored object as the kind's strategy rewrote it (a secret sealed again under a new
   * key): no decoding, no validation, and no permission check, so only the registry calls it,
   * after checking its own (see Registry.rotateSecretKey).
   */
  async rewriteStored(key: string, rewrite: (current: T) => T | undefined): Promise<T> {
    return this.repo.update(key, rewrite);
  }

  private readonly lookup: Lookup = {
    names: (plural) => this.state.cache(plural).names(),
    heldBy: (namespace) =>
      this.state
        .kinds()
        // Events do not keep a namespace alive: they expire on their own.
        .filter((k) => k.namespaced && k.plural !== 'events')
        .map((k) => ({ plural: k.plural, count: [...this.state.cache(k.plural).select({ namespace })].length }))
        .filter((h) => h.count > 0),
    objects: (plural) => [...this.state.cache(plural).select({})].map((e) => e.object),
  };

  /** The kind's rules about a change (immutable fields). */
  private checkUpdate(next: T, current: T): T {
    const errs: FieldError[] = (this.kind.options.validateUpdate as ((n: T, c: T) => FieldError[]) | undefined)?.(next, current) ?? [];
    if (errs.length) throw new Invalid(errs);
    return next;
  }

  private allowedStatus(cur: T, next: Record<string, unknown>): Record<string, unknown> {
    const refusal = this.kind.options.statusTransition?.(cur.status as never, next as never);
    if (refusal) throw new Conflict(`${this.what(cur.metadata.name)}: ${refusal}`);
    return next;
  }

  private allow(ctx: RequestContext, verb: Verb, subresource?: string, name?: string): void {
    authorize(this.authorizer, ctx, { verb, resource: this.kind.plural, subresource, namespace: this.objectNamespace, name });
  }

  private found(name: string, entry: Entry<T> | undefined): Entry<T> {
    if (!entry) throw this.notFound(name);
    return entry;
  }

  private notFound(name: string): NotFound {
    return new NotFound(`${this.what(name)} not found`);
  }

  private what(name: string): string {
    const where = this.kind.namespaced && this.objectNamespace !== DEFAULT_NAMESPACE ? ` in namespace "${this.objectNamespace}"` : '';
    return `${this.kind.kind.toLowerCase()} "${name}"${where}`;
  }
}
