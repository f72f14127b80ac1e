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
  const [a, b] = hash53Twice(text);
  return `${involved.name.slice(0, 200)}.${a.toString(16).padStart(14, '0')}${b.toString(16).padStart(14, '0')}`;
}

/**
 * cyrb53, a small well-mixed string hash, with seeds 1 and 2 in one pass over `s` (names are
 * made for every event recorded: two passes were ~2 % of a busy server). The model stays free
 * of node modules (the console bundles it).
 */
function hash53Twice(s: string): [number, number] {
  let a1 = 0xdeadbeef ^ 1;
  let a2 = 0x41c6ce57 ^ 1;
  let b1 = 0xdeadbeef ^ 2;
  let b2 = 0x41c6ce57 ^ 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a1 = Math.imul(a1 ^ c, 2654435761);
    a2 = Math.imul(a2 ^ c, 1597334677);
    b1 = Math.imul(b1 ^ c, 2654435761);
    b2 = Math.imul(b2 ^ c, 1597334677);
  }
  return [finish53(a1, a2), finish53(b1, b2)];
}

function finish53(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** "task/web-x7k2": how the CLI names the object an event is about. */
export function involvedRef(e: Event): string {
  return `${e.spec.involvedObject.kind.toLowerCase()}/${e.spec.involvedObject.name}`;
}
