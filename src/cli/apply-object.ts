// Making one manifest true on the server (create or replace its spec side), shared by apply and
// edit, and the one template a service ran before its last change through the CLI (what
// `rollout undo` restores and `rollout history` shows).
import { isDeepStrictEqual } from 'node:util';
import type { Client, Service, Task } from '../client/client.js';
import { TERMINAL_PHASES, type AnyObject } from '../model/index.js';
import { PREVIOUS_TEMPLATE_ANNOTATION } from '../model/template-history.js';
import { resourceOf, type CliKind } from './kinds.js';

export { PREVIOUS_TEMPLATE_ANNOTATION };

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/** A finished task asked to run something else: it never will. */
export class FinishedTaskError extends Error {
  override name = 'FinishedTaskError';
  constructor(task: Task) {
    super(`task/${task.metadata.name} is finished (${task.status?.phase}) and will not run again; delete it and apply again (apply --force does both), or use a Service`);
  }
}

export interface ApplyOptions {
  /** A finished task whose spec changed is deleted and created again, instead of refused. */
  replaceFinished?: boolean;
}

/**
 * Create or replace the spec side. Labels in the manifest replace the object's labels (when the
 * manifest has any); annotations are merged, so the CLI's own (the previous template) survive.
 * "unchanged" is the server's word: a PUT that changes nothing keeps the generation.
 */
export async function applyObject(client: Client, kind: CliKind, obj: AnyObject, opts: ApplyOptions = {}): Promise<{ outcome: ApplyOutcome; object: AnyObject }> {
  // A manifest that names its namespace goes there; one that does not, to the command's.
  const res = resourceOf(client, kind, obj.metadata.namespace);
  let current = await res.find(obj.metadata.name);
  const body: AnyObject = { ...obj, apiVersion: obj.apiVersion ?? 'drover/v1', metadata: { ...obj.metadata } };
  delete (body as { status?: unknown }).status;
  for (const k of ['uid', 'revision', 'generation', 'createdAt', 'updatedAt', 'deletionTimestamp'] as const) delete body.metadata[k];
  if (current && kind.plural === 'tasks' && TERMINAL_PHASES.has(current.status?.phase ?? '') && !isSubset(obj.spec, current.spec)) {
    // The server would take the new spec and never run it: say so rather than "configured".
    if (!opts.replaceFinished) throw new FinishedTaskError(current as Task);
    await deleteAndWait(client, kind, current);
    current = undefined;
  }
  if (current) {
    body.metadata.labels = obj.metadata.labels ?? current.metadata.labels;
    const annotations = { ...current.metadata.annotations, ...obj.metadata.annotations };
    if (Object.keys(annotations).length) body.metadata.annotations = annotations;
    body.metadata.ownerReferences ??= current.metadata.ownerReferences;
    if (kind.plural === 'machines' && body.spec === undefined) body.spec = current.spec;
    // The scheduler's choice is not the manifest's to undo: a task applied again stays where it runs.
    if (kind.plural === 'tasks' && body.spec && body.spec.machine === undefined && current.spec?.machine) body.spec = { ...body.spec, machine: current.spec.machine };
  }
  const { object, created } = await res.replace(body as AnyObject & { metadata: { name: string } });
  if (created || !current) return { outcome: created ? 'created' : 'configured', object };
  // Not the revision: a status write between our GET and PUT would bump it.
  const isSame = object.metadata.generation === current.metadata.generation && sameJson(object.metadata.labels, current.metadata.labels) && sameJson(object.metadata.annotations, current.metadata.annotations);
  if (isSame) return { outcome: 'unchanged', object };
  if (kind.plural === 'services') await rememberTemplate(client, current as Service, object as Service);
  return { outcome: 'configured', object };
}

function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a ?? {}, b ?? {});
}

/**
 * Whether everything `part` says, `whole` says too (objects compared key by key, anything else
 * exactly): a manifest that leaves out what the server filled in (defaults, the machine) is
 * still the same spec.
 */
export function isSubset(part: unknown, whole: unknown): boolean {
  if (isPlainObject(part)) return isPlainObject(whole) && Object.entries(part).every(([k, v]) => v === undefined || isSubset(v, whole[k]));
  return isDeepStrictEqual(part, whole);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function deleteAndWait(client: Client, kind: CliKind, obj: AnyObject): Promise<void> {
  const res = resourceOf(client, kind, obj.metadata.namespace);
  await res.delete(obj.metadata.name, { ifMatch: obj.metadata.revision });
  const deadline = Date.now() + 30_000;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const now = await res.find(obj.metadata.name);
    if (!now || now.metadata.uid !== obj.metadata.uid) return;
    if (Date.now() > deadline) throw new Error(`${kind.singular}/${obj.metadata.name} is still being deleted after 30s (waiting for ${now.metadata.finalizers?.join(', ') || 'the server'}); apply again when it is gone`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** After a template change, record the old template for `rollout undo`. */
export async function rememberTemplate(client: Client, before: Service, after: Service): Promise<void> {
  if (JSON.stringify(before.spec.template) === JSON.stringify(after.spec.template)) return;
  await client.services.in(after.metadata.namespace).patch(after.metadata.name, { metadata: { annotations: { [PREVIOUS_TEMPLATE_ANNOTATION]: JSON.stringify(before.spec.template) } } });
}
