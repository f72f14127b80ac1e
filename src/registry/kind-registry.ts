// The one door to the objects of one kind (Kubernetes' registry/generic store plus the kind's
// strategy). Every read and write, whichever front end it comes from, runs in one order:
// authorize, decode → defaults → validate, the kind's strategy hooks (validate update, status
// transitions), then compare-and-swap through state/. Errors are the API's catalog.
import { AlreadyExists, BadRequest, Conflict, Gone, Invalid, NotFound, type FieldError } from '../errors.js';
import type { AnyObject, Verb } from '../model/index.js';
import type { Authorizer } from '../security/authorizer.js';
import type { Resources } from '../state/resources.js';
import type { State } from '../state/state.js';
import type { Entry, WatchCache, WatchFilter } from '../state/watch-cache.js';
import type { RequestContext } from './context.js';
import { decodeObject, decodeStatus, requireObjectBody } from './decode.js';
import type { Kind, Lookup, StrategyContext } from './kinds/kind.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { listPage, type ListPage, type ListRequest } from './list.js';
import { nameProblem } from './names.js';
import { applyPatch, type Patch } from './patch.js';
import { checkPatchedPreconditions, withBodyPreconditions, type Preconditions } from './preconditions.js';
import { authorize } from './authorize.js';

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

export class KindRegistry<T extends AnyObject = AnyObject> {
  readonly cache: WatchCache<T>;
  private readonly repo: Resources<T>;

  constructor(
    readonly kind: Kind,
    private readonly state: State,
    private readonly authorizer: Authorizer,
    private readonly limits: Limits = DEFAULT_LIMITS,
    /** What the kind's strategy may use beyond the object (the secrets keyring). */
    private readonly strategy: StrategyContext = {},
  ) {
    this.repo = state.resources<T>(kind.plural);
    this.cache = this.repo.cache;
  }

  get plural(): string {
    return this.kind.plural;
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
  get(ctx: RequestContext, name: string, resource = this.kind.plural): Read<Entry<T>> | Promise<Read<Entry<T>>> {
    this.allow(ctx, 'get', resource);
    const entry = this.cache.get(name);
    // A cached object's name was checked when it was written; only a miss needs checking.
    if (!entry) checkUrlName(name);
    // After the quorum read the cache may hold a newer version (or none): look again.
    if (this.state.consistentReads) {
      return this.state.freshObject(this.kind.plural, name).then((staleSince) => ({ value: this.found(name, this.cache.get(name)), staleSince }));
    }
    return { value: this.found(name, entry) };
  }

  /** The current object, or undefined when there is none. */
  async find(ctx: RequestContext, name: string): Promise<T | undefined> {
    this.allow(ctx, 'get');
    checkUrlName(name);
    await this.state.freshObject(this.kind.plural, name);
    return this.cache.get(name)?.object;
  }

  /** Objects as the cache holds them, for a door that filters and shapes them itself (façades). */
  list(ctx: RequestContext, filter: WatchFilter = {}): T[] {
    this.allow(ctx, 'list');
    return this.repo.list(filter);
  }

  /** A page of a list, as encoded bytes, current on every server (see State.freshRevision). */
  async listPage(ctx: RequestContext, req: ListRequest): Promise<ListPage> {
    this.allow(ctx, 'list');
    return listPage(this.state, this.repo, req);
  }

  /**
   * Allows and checks a watch; the caller streams from the returned source. A watch starts from
   * the cache without a quorum read of its own (unless its revision is ahead of the cache), so
   * whether that may be out of date is what the state last learned of the store.
   */
  async watch(ctx: RequestContext, filter: WatchFilter, revision: number | undefined): Promise<WatchSource<T>> {
    this.allow(ctx, 'watch');
    if (filter.name !== undefined && !this.cache.get(filter.name)) checkUrlName(filter.name);
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
    this.allow(ctx, 'get');
    this.allow(ctx, 'get', `${this.kind.plural}/values`);
    checkUrlName(name);
    await this.state.freshObject(this.kind.plural, name);
    return reveal(this.found(name, this.cache.get(name)).object);
  }

  /** A list with what the stored forms hide put back (see reveal), from the current state. */
  async revealList(ctx: RequestContext, filter: WatchFilter): Promise<{ revision: number; items: T[] }> {
    const reveal = this.revealer();
    this.allow(ctx, 'list');
    this.allow(ctx, 'get', `${this.kind.plural}/values`);
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
    const current = this.cache.get(name)?.object;
    if (!current || done(current)) return Promise.resolve(current);
    return new Promise((resolve) => {
      const finish = (o: T | undefined) => {
        clearTimeout(timer);
        sub.close();
        resolve(o);
      };
      const timer = setTimeout(() => finish(this.cache.get(name)?.object), ms);
      const sub = this.cache.subscribe(
        { name },
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
    this.allow(ctx, 'create');
    let generatedFrom: string | undefined;
    let obj = this.prepared(decodeObject(this.kind, body, { generateName: (p) => this.repo.generateName((generatedFrom = p)) }, this.limits) as T);
    // A generated name is checked against the cache, but two creates in flight together (or on
    // two servers) can draw the same one: the loser draws again instead of answering 409 to a
    // client that never chose the name.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.repo.create(this.stored(obj, undefined));
      } catch (err) {
        if (!(err instanceof AlreadyExists) || generatedFrom === undefined || attempt >= 5) throw err;
        obj = { ...obj, metadata: { ...obj.metadata, name: this.repo.generateName(generatedFrom) } };
      }
    }
  }

  /** PUT: creates the object, or replaces its spec side (status is kept); `created` says which. */
  async replace(ctx: RequestContext, name: string, body: unknown, pre: Preconditions = {}): Promise<{ object: T; created: boolean }> {
    this.allow(ctx, 'update');
    checkUrlName(name);
    const input = requireObjectBody(body);
    const obj = this.prepared(decodeObject(this.kind, input, { name }, this.limits) as T);
    pre = withBodyPreconditions(pre, input.metadata);
    if (!this.cache.get(name)) {
      if (pre.revision !== undefined || pre.uid !== undefined) throw this.notFound(name);
      try {
        return { object: await this.repo.create(this.stored(obj, undefined)), created: true };
      } catch (err) {
        if (!(err instanceof AlreadyExists)) throw err;
      }
    }
    const object = await this.repo.update(
      name,
      (cur) => this.stored(this.checkUpdate({ ...obj, status: cur.status, metadata: { ...obj.metadata, finalizers: obj.metadata.finalizers ?? cur.metadata.finalizers } }, cur), cur),
      pre,
    );
    return { object, created: false };
  }

  /** PATCH of the spec side: the patch applies to the whole object as GET shows it. */
  async patch(ctx: RequestContext, name: string, patch: Patch, pre: Preconditions = {}): Promise<T> {
    this.allow(ctx, 'patch');
    return this.change(name, pre, (cur) => {
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
    this.allow(ctx, 'update');
    return this.change(name, pre, mutate);
  }

  /**
   * Runs every check a write would (permission, decoding, validation, the kind's rules about
   * the change) without writing: a door that must apply several writes all or nothing checks
   * each first. Resolves with the object as it would be written.
   */
  async dryRun(ctx: RequestContext, name: string, next: (current: T | undefined) => unknown): Promise<T> {
    checkUrlName(name);
    const current = await this.repo.getCurrent(name);
    this.allow(ctx, current ? 'update' : 'create');
    const body = next(current);
    const obj = this.prepared(decodeObject(this.kind, body, { name }, this.limits) as T);
    if (!current) return this.stored(obj, undefined);
    return this.stored(this.checkUpdate({ ...obj, status: current.status }, current), current);
  }

  async delete(ctx: RequestContext, name: string, pre: Preconditions = {}): Promise<T> {
    this.allow(ctx, 'delete');
    checkUrlName(name);
    return this.repo.delete(name, pre);
  }

  /** PUT /status: replaces the status; the spec side is untouched. */
  async replaceStatus(ctx: RequestContext, name: string, body: unknown, pre: Preconditions = {}): Promise<T> {
    this.allow(ctx, 'update', `${this.kind.plural}/status`);
    checkUrlName(name);
    const input = requireObjectBody(body);
    const meta = input.metadata as { name?: unknown } | undefined;
    if (meta?.name !== undefined && meta.name !== name) {
      throw new BadRequest(`the body's metadata.name "${String(meta.name)}" does not match the name in the URL "${name}"`);
    }
    const status = decodeStatus(this.kind, input.status, this.limits);
    return this.repo.update(name, (cur) => ({ ...cur, status: this.allowedStatus(cur, status) }), withBodyPreconditions(pre, meta));
  }

  /** PATCH /status: the patch applies to the whole object; only its status is kept. */
  async patchStatus(ctx: RequestContext, name: string, patch: Patch, pre: Preconditions = {}): Promise<T> {
    this.allow(ctx, 'patch', `${this.kind.plural}/status`);
    checkUrlName(name);
    if (!(await this.repo.getCurrent(name))) throw this.notFound(name);
    return this.repo.update(
      name,
      (cur) => {
        const patched = applyPatch(patch, cur, this.limits) as AnyObject;
        checkPatchedPreconditions(patched, cur);
        return { ...cur, status: this.allowedStatus(cur, decodeStatus(this.kind, patched.status, this.limits)) };
      },
      pre,
    );
  }

  // ---- the strategy ----

  private async change(name: string, pre: Preconditions, mutate: (current: T) => unknown): Promise<T> {
    checkUrlName(name);
    if (!(await this.repo.getCurrent(name))) throw this.notFound(name);
    return this.repo.update(
      name,
      (cur) => {
        const next = mutate(cur);
        if (next === undefined) return undefined;
        return this.stored(this.checkUpdate({ ...this.prepared(decodeObject(this.kind, next, { name }, this.limits) as T), status: cur.status }, cur), cur);
      },
      pre,
    );
  }

  /** The kind's admission step (see KindOptions.prepare). */
  private prepared(obj: T): T {
    const prepare = this.kind.options.prepare as ((o: T, l: Lookup) => T) | undefined;
    return prepare ? prepare(obj, this.lookup) : obj;
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
  async rewriteStored(name: string, rewrite: (current: T) => T | undefined): Promise<T> {
    return this.repo.update(name, rewrite);
  }

  private readonly lookup: Lookup = { names: (plural) => this.state.cache(plural).names() };

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

  private allow(ctx: RequestContext, verb: Verb, resource = this.kind.plural): void {
    authorize(this.authorizer, ctx, verb, resource);
  }

  private found(name: string, entry: Entry<T> | undefined): Entry<T> {
    if (!entry) throw this.notFound(name);
    return entry;
  }

  private notFound(name: string): NotFound {
    return new NotFound(`${this.what(name)} not found`);
  }

  private what(name: string): string {
    return `${this.kind.kind.toLowerCase()} "${name}"`;
  }
}

/** A name taken from a URL (or a façade's path): a bad one is the caller's malformed request. */
export function checkUrlName(name: string): void {
  const problem = nameProblem(name);
  if (problem) throw new BadRequest(`invalid name in the URL: ${problem}`);
}
