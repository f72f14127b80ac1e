// What one object may cost: limits checked on every write, before any work is done with it, so a
// hostile request is refused cheaply (60,000 labels copied into 200 tasks, 2,000 levels of
// nesting, a JSON patch that doubles the object 23 times, a million replicas).
import type { FieldError } from '../errors.js';

export interface Limits {
  /** Largest object once encoded; etcd's own limit on a value is 1.5 MiB. */
  objectBytes: number;
  /** Deepest nesting of an object (free-form fields such as spec.params included). */
  depth: number;
  /** Labels per object, and their keys and values together in bytes. */
  labels: number;
  labelBytes: number;
  /** Annotations' keys and values together in bytes (Kubernetes' limit). */
  annotationBytes: number;
  /** Replicas of one service. */
  maxReplicas: number;
  /** Operations in one JSON patch. */
  patchOperations: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  objectBytes: 1.5 * 1024 * 1024,
  depth: 64,
  labels: 100,
  labelBytes: 32 * 1024,
  annotationBytes: 256 * 1024,
  maxReplicas: 10_000,
  patchOperations: 1_000,
});

/** The nesting depth of a JSON value, or Infinity past `max` (counted without recursion). */
export function depthOf(value: unknown, max: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) return Infinity;
    if (d > deepest) deepest = d;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return deepest;
}

/** Refuses an object nested deeper than the limit (before anything walks it recursively). */
export function checkDepth(value: unknown, limits: Limits, path = ''): FieldError[] {
  if (depthOf(value, limits.depth) <= limits.depth) return [];
  return [{ path: path || '/', message: `nested more than ${limits.depth} levels deep; flatten it` }];
}

/** How many labels and annotations, and how many bytes of them. */
export function checkMetadataSize(labels: Record<string, string> | undefined, annotations: Record<string, string> | undefined, limits: Limits): FieldError[] {
  const errs: FieldError[] = [];
  const count = labels ? Object.keys(labels).length : 0;
  if (count > limits.labels) errs.push({ path: '/metadata/labels', message: `${count} labels; at most ${limits.labels} are allowed` });
  const labelBytes = bytesOf(labels);
  if (labelBytes > limits.labelBytes) errs.push({ path: '/metadata/labels', message: `labels take ${labelBytes} bytes; at most ${limits.labelBytes} are allowed` });
  const annotationBytes = bytesOf(annotations);
  if (annotationBytes > limits.annotationBytes) {
    errs.push({ path: '/metadata/annotations', message: `annotations take ${annotationBytes} bytes; at most ${limits.annotationBytes} are allowed` });
  }
  return errs;
}

function bytesOf(map: Record<string, string> | undefined): number {
  let n = 0;
  for (const [k, v] of Object.entries(map ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  return n;
}
