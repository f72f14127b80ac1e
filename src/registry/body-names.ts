// Names and namespaces as a request gives them: in its URL (checked, a bad one is a 400) or in its
// body's metadata (read before decoding, to route the request; the schema check comes after).
import { BadRequest } from '../errors.js';
import { nameProblem } from './names.js';

function metadataOfBody(body: unknown): Record<string, unknown> | undefined {
  const meta = body && typeof body === 'object' ? (body as { metadata?: unknown }).metadata : undefined;
  return meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined;
}

/** A body's metadata.namespace, if it is a string (the schema check refuses anything else later). */
export function namespaceOfBody(body: unknown): string | undefined {
  const ns = metadataOfBody(body)?.namespace;
  return typeof ns === 'string' ? ns : undefined;
}

export function nameOfBody(body: unknown): string | undefined {
  const name = metadataOfBody(body)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** A name taken from a URL (or a façade's path): a bad one is the caller's malformed request. */
export function checkUrlName(name: string): void {
  const problem = nameProblem(name);
  if (problem) throw new BadRequest(`invalid name in the URL: ${problem}`);
}
