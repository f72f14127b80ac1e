// Event: why something happened to an object, recorded by controllers and agents (Kubernetes'
// events). Repeats are counted on one object (see model eventName); a controller deletes events
// that have not happened again for their TTL.
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import { EVENT_MESSAGE_MAX, type EventSpec as ModelSpec } from '../../model/index.js';
import { defineKind, type Expect, type Same } from './kind.js';

const InvolvedObject = Type.Object(
  {
    kind: Type.String({ minLength: 1 }),
    name: Type.String({ minLength: 1 }),
    namespace: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const EventSpec = Type.Object(
  {
    involvedObject: InvolvedObject,
    reason: Type.String({ minLength: 1, maxLength: 128, description: 'a short CamelCase word: Unhealthy, Killing, Restarted, Scheduled…' }),
    message: Type.String({ maxLength: EVENT_MESSAGE_MAX }),
    type: Type.Union([Type.Literal('Normal'), Type.Literal('Warning')]),
    count: Type.Integer({ minimum: 1, description: 'how many times it happened, from firstTimestamp to lastTimestamp' }),
    firstTimestamp: Type.String(),
    lastTimestamp: Type.String(),
    source: Type.Object({ component: Type.String({ minLength: 1 }), machine: Type.Optional(Type.String()) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
const EventStatus = Type.Object({}, { additionalProperties: false });

type _spec = Expect<Same<Static<typeof EventSpec>, ModelSpec>>;

export const events = defineKind({
  kind: 'Event',
  plural: 'events',
  namespaced: true,
  shortNames: ['event', 'ev'],
  description: 'Something that happened to an object and why (check failures, restarts, rollout steps). Repeats are counted; deleted an hour after they last happened.',
  spec: EventSpec,
  status: EventStatus,
  validate: (e) => checkTimes(e.spec),
  fields: {
    'spec.involvedObject.kind': (e) => e.spec.involvedObject.kind,
    'spec.involvedObject.name': (e) => e.spec.involvedObject.name,
    'spec.reason': (e) => e.spec.reason,
    'spec.type': (e) => e.spec.type,
  },
});

function checkTimes(spec: ModelSpec): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['firstTimestamp', 'lastTimestamp'] as const) {
    if (Number.isNaN(Date.parse(spec[f]))) errs.push({ path: `/spec/${f}`, message: 'must be an RFC 3339 time' });
  }
  return errs;
}
