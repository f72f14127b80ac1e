// Request bodies to objects: the one path every write takes (create, replace, patch results, a
// façade's object), so validation, defaults and error messages are the same whichever door and
// verb is used.
import { BadRequest, Invalid, type FieldError } from '../errors.js';
import { API_VERSION, type AnyObject } from '../model/index.js';
import { fieldErrors } from './kinds/field-errors.js';
import type { Kind } from './kinds/kind.js';
import { checkDepth, checkMetadataSize, DEFAULT_LIMITS, type Limits } from './limits.js';
import { checkLabels, nameProblem } from './names.js';

export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) throw new BadRequest('the request needs a body: send a JSON or YAML object');
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the request body must be an object, not ' + (Array.isArray(body) ? 'an array' : typeof body));
  return body as Record<string, unknown>;
}

const READ_ONLY_METADATA = ['uid', 'revision', 'generation', 'createdAt', 'updatedAt', 'deletionTimestamp'] as const;

export interface DecodeOptions {
  /** Name from the URL (PUT/PATCH); the body's name must agree or be absent. */
  name?: string;
  /** Generate a name when none is given (POST). */
  generateName?: (prefix: string) => string;
}

/**
 * Validates a body as an object of `kind` and returns it with defaults applied. The status is
 * dropped (it is written only through /status); server-owned metadata is left for the state
 * layer to set.
 */
export function decodeObject(kind: Kind, body: unknown, opts: DecodeOptions, limits: Limits = DEFAULT_LIMITS): AnyObject {
  const input = requireObjectBody(body);
  // Before anything walks it recursively (the schema check, YAML encoding of a list).
  const tooDeep = checkDepth(input, limits);
  if (tooDeep.length) throw new Invalid(tooDeep);
  const errs: FieldError[] = [];
  if (input.apiVersion !== undefined && input.apiVersion !== API_VERSION) {
    errs.push({ path: '/apiVersion', message: `must be "${API_VERSION}", got ${JSON.stringify(input.apiVersion)}` });
  }
  if (input.kind !== undefined && input.kind !== kind.kind) {
    errs.push({ path: '/kind', message: `must be "${kind.kind}" on /api/v1/${kind.plural}, got ${JSON.stringify(input.kind)}` });
  }
  // Check first: the compiled check is cheap, walking Errors() costs ~7% of a create.
  if (!errs.length && !kind.checkInput.Check(input)) errs.push(...fieldErrors(kind.checkInput.Errors(input)));
  if (errs.length) throw new Invalid(errs);

  const meta = { ...((input.metadata as Record<string, unknown>) ?? {}) } as unknown as AnyObject['metadata'];
  if (opts.name !== undefined) {
    if (meta.name !== undefined && meta.name !== opts.name) {
      throw new BadRequest(`the body's metadata.name "${meta.name}" does not match the name in the URL "${opts.name}"`);
    }
    meta.name = opts.name;
  } else if (meta.name === undefined) {
    const prefix = meta.generateName ?? kind.options.generatedNamePrefix;
    if (prefix === undefined || !opts.generateName) {
      throw new Invalid([{ path: '/metadata/name', message: 'a name is required (or metadata.generateName for a generated one)' }]);
    }
    const problem = prefix === '' ? undefined : nameProblem(prefix);
    if (problem) throw new Invalid([{ path: '/metadata/generateName', message: problem }]);
    meta.name = opts.generateName(prefix);
  }
  const problem = nameProblem(meta.name);
  if (problem) throw new Invalid([{ path: '/metadata/name', message: problem }]);
  errs.push(...checkMetadataSize(meta.labels, meta.annotations, limits));
  if (errs.length) throw new Invalid(errs);
  errs.push(...checkLabels(meta.labels, '/metadata/labels'));
  // Read-only metadata in a body (GET output sent back) is ignored, as in Kubernetes: the state
  // layer sets it. A client-sent deletionTimestamp would otherwise delete the object.
  for (const f of READ_ONLY_METADATA) delete (meta as Partial<AnyObject['metadata']>)[f];

  let spec = (input.spec ?? {}) as Record<string, unknown>;
  if (kind.options.defaults) spec = (kind.options.defaults as (s: unknown) => Record<string, unknown>)(spec);
  const obj: AnyObject = { apiVersion: API_VERSION, kind: kind.kind, metadata: meta, spec, status: {} };
  if (kind.options.validate) errs.push(...(kind.options.validate as (o: AnyObject, l: Limits) => FieldError[])(obj, limits));
  if (errs.length) throw new Invalid(errs);
  return obj;
}

/** Validates a status written through the /status subresource. */
export function decodeStatus(kind: Kind, status: unknown, limits: Limits = DEFAULT_LIMITS): Record<string, unknown> {
  if (status === undefined || status === null) return {};
  const tooDeep = checkDepth(status, limits, '/status');
  if (tooDeep.length) throw new Invalid(tooDeep);
  if (!kind.checkStatus.Check(status)) throw new Invalid(fieldErrors(kind.checkStatus.Errors(status), '/status'));
  const errs = (kind.options.validateStatus as ((s: unknown) => FieldError[]) | undefined)?.(status) ?? [];
  if (errs.length) throw new Invalid(errs);
  return status as Record<string, unknown>;
}
