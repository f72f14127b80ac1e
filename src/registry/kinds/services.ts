// Service: schema and strategy. Defaults make the common case short (one replica, spread,
// always restart); validation adds what the schema cannot say.
import { Type, type Static } from '@sinclair/typebox';
import { Conflict, type FieldError } from '../../errors.js';
import { resolveMachineId, templatePorts, withUnitCredentials, type Service, type ServiceSpec as ModelSpec, type ServiceStatus as ModelStatus } from '../../model/index.js';
import { Condition, Constraints, TaskTemplate } from './common.js';
import { defineKind, type Expect, type Same, type Lookup } from './kind.js';
import { checkTemplate } from './template.js';

const IntOrPercent = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+%$' })]);

export const DesiredState = Type.Union([Type.Literal('running'), Type.Literal('loaded'), Type.Literal('inactive')], {
  description: 'running: placed and started; loaded: placed and prepared, not started (fleet "loaded"); inactive: not placed',
});

const ServiceSpec = Type.Object(
  {
    replicas: Type.Optional(Type.Integer({ minimum: 0, description: 'number of tasks (default 1); not with global' })),
    global: Type.Optional(Type.Boolean({ description: 'one task on every eligible machine' })),
    desiredState: Type.Optional(DesiredState),
    strategy: Type.Optional(Type.Union([Type.Literal('spread'), Type.Literal('binpack')])),
    template: TaskTemplate,
    constraints: Type.Optional(Constraints),
    update: Type.Optional(
      Type.Object(
        {
          maxUnavailable: Type.Optional(IntOrPercent),
          maxSurge: Type.Optional(IntOrPercent),
          minReadySeconds: Type.Optional(Type.Integer({ minimum: 0 })),
          progressDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'a rollout not done this long after it started stops: Progressing=False, ProgressDeadlineExceeded (default 600)' })),
        },
        { additionalProperties: false },
      ),
    ),
    paused: Type.Optional(Type.Boolean({ description: 'pause a rolling update' })),
    adopt: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'running one-off tasks to adopt as replicas' })),
    ingress: Type.Optional(
      Type.Array(
        Type.Object(
          {
            port: Type.Integer({ minimum: 1, maximum: 65535, description: 'the port every agent listens on (unique across services)' }),
            targetPort: Type.Optional(Type.String({ minLength: 1, description: "a port name of the template (default its first port)" })),
          },
          { additionalProperties: false },
        ),
        { maxItems: 8, description: 'stable layer 4 ports: every agent forwards TCP connections on them to ready tasks, round-robin' },
      ),
    ),
  },
  { additionalProperties: false },
);

const ServiceStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    desiredReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    replicas: Type.Optional(Type.Integer({ minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    updatedReplicas: Type.Optional(Type.Integer({ minimum: 0 })),
    state: Type.Optional(Type.String()),
    conditions: Type.Optional(Type.Array(Condition)),
  },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof ServiceSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof ServiceStatus>, ModelStatus>>;

export const services = defineKind({
  kind: 'Service',
  plural: 'services',
  namespaced: true,
  shortNames: ['service', 'svc'],
  description: 'A long-running workload: the lifecycle manager that keeps replicas (or one task per machine) of a task template running.',
  spec: ServiceSpec,
  status: ServiceStatus,
  defaults: (spec) => ({
    desiredState: 'running' as const,
    strategy: 'spread' as const,
    ...(spec.global ? {} : { replicas: 1 }),
    ...spec,
    template: withUnitCredentials({ restartPolicy: 'always' as const, ...spec.template }),
  }),
  validate: (svc, limits) => {
    const errs: FieldError[] = [];
    if ((svc.spec.replicas ?? 0) > limits.maxReplicas) {
      errs.push({ path: '/spec/replicas', message: `at most ${limits.maxReplicas} replicas per service (the server's --max-replicas), got ${svc.spec.replicas}` });
    }
    if (svc.spec.global && svc.spec.replicas !== undefined) {
      errs.push({ path: '/spec/replicas', message: 'a global service runs one task per machine: remove replicas or global' });
    }
    errs.push(...checkTemplate(svc.spec.template, '/spec/template'));
    errs.push(...checkIngressPorts(svc.spec));
    return errs;
  },
  template: (svc) => svc.spec.template,
  prepare: (svc, lookup) => {
    checkIngressPortsFree(svc, lookup);
    // fleet's MachineID= may name a machine by the first 8 characters of its ID: pin the one it
    // names now (the scheduler also resolves it later, for a machine that registers after).
    const pin = svc.spec.constraints?.machine;
    if (pin === undefined || pin.length !== 8) return svc;
    const machine = resolveMachineId(lookup.names('machines'), pin);
    if (machine === undefined || machine === pin) return svc;
    return { ...svc, spec: { ...svc.spec, constraints: { ...svc.spec.constraints, machine } } };
  },
  fields: {
    'spec.desiredState': (s) => s.spec.desiredState,
  },
});

/** Each ingress port once, and its targetPort a port of the template (the first when none is named). */
function checkIngressPorts(spec: ModelSpec): FieldError[] {
  const errs: FieldError[] = [];
  const names = templatePorts(spec.template).map((p) => p.name);
  const seen = new Set<number>();
  (spec.ingress ?? []).forEach((ing, i) => {
    if (seen.has(ing.port)) errs.push({ path: `/spec/ingress/${i}/port`, message: `port ${ing.port} is listed twice` });
    seen.add(ing.port);
    if (ing.targetPort !== undefined && !names.includes(ing.targetPort)) {
      errs.push({ path: `/spec/ingress/${i}/targetPort`, message: `"${ing.targetPort}" is not a port of the template (${names.length ? `it has ${names.map((n) => `"${n}"`).join(', ')}` : 'it declares none: add template.ports'})` });
    } else if (ing.targetPort === undefined && names.length === 0) {
      errs.push({ path: `/spec/ingress/${i}`, message: 'the template declares no ports to forward to: add template.ports' });
    }
  });
  return errs;
}

/** An ingress port is every agent's: one service each, cluster-wide. */
function checkIngressPortsFree(svc: Service, lookup: Lookup): void {
  const mine = new Set((svc.spec.ingress ?? []).map((i) => i.port));
  if (mine.size === 0) return;
  for (const other of lookup.objects('services') as Iterable<Service>) {
    if (other.metadata.name === svc.metadata.name && (other.metadata.namespace ?? 'default') === (svc.metadata.namespace ?? 'default')) continue;
    const taken = (other.spec.ingress ?? []).find((i) => mine.has(i.port));
    if (taken) throw new Conflict(`ingress port ${taken.port} is already used by service "${other.metadata.name}" in namespace "${other.metadata.namespace ?? 'default'}"; pick another port`);
  }
}
