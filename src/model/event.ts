// Event: something that happened to an object, for people to see why (Kubernetes' events). An
// event about the same object, for the same reason, with the same message is one Event whose
// count goes up: its name is derived from those three, so a repeat finds it instead of adding one.
import type { ApiObject } from './meta.js';

export type EventType = 'Normal' | 'Warning';

export interface InvolvedObject {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface EventSource {
  /** "agent", "workloads", "scheduler"… */
  component: string;
  /** The machine of an agent that recorded it. */
  machine?: string;
}

export interface EventSpec {
  involvedObject: InvolvedObject;
  /** A short CamelCase word: Unhealthy, Killing, Restarted, Scheduled, ProgressDeadlineExceeded. */
  reason: string;
  message: string;
  type: EventType;
  /** How many times it happened (first to last timestamp). */
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: EventSource;
}

export type Event = ApiObject<EventSpec, Record<string, never>>;

/** How long an event is kept after it last happened, unless the server says otherwise. */
export const EVENT_TTL_SECONDS = 3_600;

/** Longer messages are cut: an event says why in a line or a few, not a whole log. */
export const EVENT_MESSAGE_MAX = 1_024;

/**
 * The name of the event about `involved`, for `reason` and `message`: the same inputs give the
 * same name (a repeat bumps its count), and a name is always valid, whatever the object's name.
 */
export function eventName(involved: InvolvedObject, reason: string, message: string): string {
  const text = JSON.stringify([involved.kind, involved.namespace ?? '', involved.name, involved.uid ?? '', reason, message]);
  return `${involved.name.slice(0, 200)}.${hash53(text, 1).toString(16).padStart(14, '0')}${hash53(text, 2).toString(16).padStart(14, '0')}`;
}

/** cyrb53, a small well-mixed string hash: the model stays free of node modules (the console bundles it). */
function hash53(s: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** "task/web-x7k2": how the CLI names the object an event is about. */
export function involvedRef(e: Event): string {
  return `${e.spec.involvedObject.kind.toLowerCase()}/${e.spec.involvedObject.name}`;
}
