// What a write may require of the object it changes: its revision (If-Match, or
// metadata.revision in a body) and its identity (metadata.uid in a body: an agent's report must
// not land on a recreated namesake), as in Kubernetes.
import { BadRequest, PreconditionFailed } from '../errors.js';
import type { AnyObject } from '../model/index.js';
import type { Preconditions } from '../state/resources.js';

export type { Preconditions };

type BodyMetadata = { revision?: unknown; uid?: unknown } | undefined;

/** The caller's preconditions (If-Match) joined with those a body's metadata states. */
export function withBodyPreconditions(pre: Preconditions, metadata: unknown): Preconditions {
  const body = (metadata && typeof metadata === 'object' ? metadata : undefined) as BodyMetadata;
  const out: Preconditions = { ...pre };
  const bodyRevision = body?.revision;
  if (bodyRevision !== undefined && bodyRevision !== null) {
    if (typeof bodyRevision !== 'number' || !Number.isSafeInteger(bodyRevision)) {
      throw new BadRequest('metadata.revision must be an integer (the revision you read), or left out');
    }
    if (out.revision !== undefined && out.revision !== bodyRevision) {
      throw new BadRequest(`If-Match (${out.revision}) and metadata.revision (${bodyRevision}) disagree; send one of them`);
    }
    out.revision = bodyRevision;
  }
  if (body?.uid !== undefined && body.uid !== null) {
    if (typeof body.uid !== 'string') throw new BadRequest('metadata.uid must be a string (the uid you read), or left out');
    out.uid = body.uid;
  }
  return out;
}

/** A patch that sets metadata.revision (or metadata.uid) asks for that revision (or object), like If-Match. */
export function checkPatchedPreconditions(patched: AnyObject, current: AnyObject): void {
  const meta = (patched as { metadata?: BodyMetadata })?.metadata;
  const what = `${current.kind.toLowerCase()} "${current.metadata.name}"`;
  if (meta?.uid !== undefined && meta.uid !== current.metadata.uid) {
    throw new PreconditionFailed(`${what} has uid ${current.metadata.uid}, not ${String(meta.uid)}: it was deleted and recreated`);
  }
  if (meta?.revision !== undefined && meta.revision !== current.metadata.revision) {
    throw new PreconditionFailed(`${what} has changed: the patch expects revision ${String(meta.revision)}, it is now ${current.metadata.revision}`);
  }
}
