// defineKind: a resource kind is a schema, defaults, validation and the few strategy hooks
// that differ from every other kind (Kubernetes' registry strategies). The generic machinery
// (decode, CRUD, lists, watch, preconditions, errors, OpenAPI) is written once, in the
// registry and the HTTP layer.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { FieldError } from '../../errors.js';
import { ALL_VERBS, type AnyObject, type ApiObject, type QuotaUsage, type TaskTemplate, type Verb } from '../../model/index.js';
import type { Sealer } from '../../security/keyring.js';
import type { KindInfo } from '../../state/object.js';
import type { Limits } from '../limits.js';
import { API_VERSION, ObjectMeta } from './common.js';


/** Compile-time proof that a schema's static type and the model's type describe the same values. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile unless T is true: `type _check = Expect<Same<Static<typeof Schema>, ModelType>>`. */
export type Expect<T extends true> = T;

/** What a strategy may read of other objects. */
export interface Lookup {
  /** The names of the objects of a kind, by its plural. */
  names(plural: string): Iterable<string>;
  /** The namespaced kinds with objects in `namespace`, and how many each. */
  heldBy(namespace: string): { plural: string; count: number }[];
  /** The objects of a kind in every namespace, as the cache holds them. */
  objects(plural: string): Iterable<AnyObject>;
}

/** What the server lends a kind's strategy beyond the object: the keyring secrets are sealed with (undefined: the server has none). */
export interface StrategyContext {
  sealer?: Sealer;
}

export interface KindOptions<S extends TObject, St extends TObject> {
  kind: string;
  plural: string;
  shortNames?: string[];
  description: string;
  /** Objects live in a namespace (Service, Task); else cluster-wide (Machine, Namespace). */
  namespaced?: boolean;
  spec: S;
  status: St;
  /** True when spec has no required field: an object with only metadata is accepted. */
  specOptional?: boolean;
  /** Fills defaults into a validated spec. */
  defaults?: (spec: Static<S>) => Static<S>;
  /**
   * Fills in what depends on other objects, on create and update, after validation (a short
   * machine ID resolved to the one machine it names): an admission step, as in Kubernetes.
   */
  prepare?: (obj: ApiObject<Static<S>, Static<St>>, lookup: Lookup) => ApiObject<Static<S>, Static<St>>;
  /**
   * The stored form of an object about to be written (on create `current` is undefined), after
   * validation: secrets seal their values here, so the store, the watch cache and every read
   * path only ever hold ciphertext.
   */
  toStored?: (next: ApiObject<Static<S>, Static<St>>, current: ApiObject<Static<S>, Static<St>> | undefined, ctx: StrategyContext) => ApiObject<Static<S>, Static<St>>;
  /** The stored object with what toStored hid put back (secret values), for a caller allowed `<plural>/values`. */
  reveal?: (stored: ApiObject<Static<S>, Static<St>>, ctx: StrategyContext) => ApiObject<Static<S>, Static<St>>;
  /** Rules the schema cannot express, on create and update; paths are JSON pointers from the object root. */
  validate?: (obj: ApiObject<Static<S>, Static<St>>, limits: Limits) => FieldError[];
  /** Refuses a delete (409, the message) the kind does not allow now: a namespace that still holds objects. */
  checkDelete?: (obj: ApiObject<Static<S>, Static<St>>, lookup: Lookup) => string | undefined;
  /**
   * DELETE does not remove the object: it is rewritten as this tombstone (a deleted Flocker
   * dataset stays listed so its id is never reused); undefined when it already is one, which
   * makes a second DELETE a no-op answered with the tombstone.
   */
  tombstone?: (current: ApiObject<Static<S>, Static<St>>) => ApiObject<Static<S>, Static<St>> | undefined;
  /** What creating one asks of its namespace's quota (Tasks). */
  quotaAsk?: (obj: ApiObject<Static<S>, Static<St>>) => QuotaUsage;
  /** The task template an object runs (Services, Tasks): running it as root needs tasks/root. */
  template?: (obj: ApiObject<Static<S>, Static<St>>) => TaskTemplate | undefined;
  /**
   * Subresources of this kind whose permission (verb create) a write needs beyond its verb:
   * setting a task's spec.machine past the scheduler needs tasks/bind.
   */
  privileges?: (next: ApiObject<Static<S>, Static<St>>, current: ApiObject<Static<S>, Static<St>> | undefined) => string[];
  /**
   * What a write makes the server use on the writer's behalf, each checked as the caller's own
   * permission when it is new or changed: a Host names the Secret whose key the server logs in
   * with, so its writer must be allowed to read that secret's values (no borrowing a key).
   */
  uses?: (obj: ApiObject<Static<S>, Static<St>>) => { verb: Verb; resource: string; subresource?: string; namespace?: string; name: string }[];
  /** Rules about a change (immutable fields): the next object against the current one. */
  validateUpdate?: (next: ApiObject<Static<S>, Static<St>>, current: ApiObject<Static<S>, Static<St>>) => FieldError[];
  /** Rules the status schema cannot express, checked on every status write. */
  validateStatus?: (status: Static<St>) => FieldError[];
  /** Selectable fields beyond metadata.name. */
  fields?: Record<string, (obj: ApiObject<Static<S>, Static<St>>) => string | undefined>;
  indexes?: string[];
  verbs?: Verb[];
  /** Prefix of generated names when neither name nor generateName is given (else creation needs a name). */
  generatedNamePrefix?: string;
  /** Refuses a status change the kind never allows (a message), e.g. leaving a terminal phase. */
  statusTransition?: (current: ApiObject<Static<S>, Static<St>>['status'], next: ApiObject<Static<S>, Static<St>>['status']) => string | undefined;
  /** Creating one starts work: POST answers 202 Accepted and supports ?wait= (Operations). */
  async?: { isDone: (obj: AnyObject) => boolean };
}

export interface Kind<S extends TObject = TObject, St extends TObject = TObject> extends KindInfo {
  readonly namespaced: boolean;
  readonly options: KindOptions<S, St>;
  readonly verbs: Verb[];
  /** Schema of the whole object as GET returns it and PUT/POST accept it. */
  readonly schema: TObject;
  readonly checkInput: TypeCheck<TSchema>;
  readonly checkStatus: TypeCheck<St>;
}

export function defineKind<S extends TObject, St extends TObject>(options: KindOptions<S, St>): Kind<S, St> {
  const schema = Type.Object(
    {
      apiVersion: Type.Optional(Type.Literal(API_VERSION)),
      kind: Type.Optional(Type.Literal(options.kind)),
      metadata: Type.Optional(ObjectMeta),
      spec: options.specOptional ? Type.Optional(options.spec) : options.spec,
      status: Type.Optional(options.status),
    },
    { additionalProperties: false, $id: options.kind, description: options.description },
  );
  // Input check: status is ignored on writes to the main resource, so any status passes here.
  const input = Type.Object({ ...schema.properties, status: Type.Optional(Type.Unknown()) }, { additionalProperties: false });
  const fields: KindInfo['fields'] = { 'metadata.name': (o) => o.metadata.name };
  for (const [f, get] of Object.entries(options.fields ?? {})) fields[f] = get as KindInfo['fields'][string];
  return {
    kind: options.kind,
    plural: options.plural,
    namespaced: options.namespaced === true,
    fields,
    indexes: options.indexes,
    options,
    verbs: options.verbs ?? [...ALL_VERBS],
    schema,
    checkInput: TypeCompiler.Compile(input),
    checkStatus: TypeCompiler.Compile(options.status),
  };
}
