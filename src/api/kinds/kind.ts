// defineKind: a resource kind is a schema, defaults, validation and the few hooks that differ
// from every other kind. The generic machinery (CRUD, lists, watch, preconditions, errors,
// OpenAPI) is written once, in src/api/resources/.
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { FieldError } from '../../errors.js';
import type { AnyObject, ApiObject, KindInfo } from '../../state/object.js';
import { API_VERSION, ObjectMeta } from './common.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
export const allVerbs: Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export interface KindOptions<S extends TObject, St extends TObject> {
  kind: string;
  plural: string;
  shortNames?: string[];
  description: string;
  spec: S;
  status: St;
  /** True when spec has no required field: an object with only metadata is accepted. */
  specOptional?: boolean;
  /** Fills defaults into a validated spec. */
  defaults?: (spec: Static<S>) => Static<S>;
  /** Rules the schema cannot express; paths are JSON pointers from the object root. */
  validate?: (obj: ApiObject<Static<S>, Static<St>>) => FieldError[];
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
  readonly options: KindOptions<S, St>;
  readonly verbs: Verb[];
  /** Schema of the whole object as GET returns it and PUT/POST accept it. */
  readonly schema: TObject;
  readonly checkInput: TypeCheck<TSchema>;
  readonly checkStatus: TypeCheck<St>;
}

export type KindObject<K> = K extends Kind<infer S, infer St> ? ApiObject<Static<S>, Static<St>> : never;

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
    fields,
    indexes: options.indexes,
    options,
    verbs: options.verbs ?? allVerbs,
    schema,
    checkInput: TypeCompiler.Compile(input),
    checkStatus: TypeCompiler.Compile(options.status),
  };
}
