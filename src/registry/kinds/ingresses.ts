// Ingress: layer 7 rules (exact host, segment-prefix path → a service's port), served by the
// ingress proxy (`drover proxy`), which writes status.addresses.
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '../../errors.js';
import type { IngressSpec as ModelSpec, IngressStatus as ModelStatus } from '../../model/index.js';
import { defineKind, type Expect, type Same } from './kind.js';

const IngressRule = Type.Object(
  {
    host: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$', description: 'exact Host to match (its port ignored); none: any host' })),
    path: Type.Optional(Type.String({ pattern: '^/', maxLength: 1024, description: 'path prefix on whole segments ("/api" matches /api and /api/x, not /apix); default "/"' })),
    service: Type.String({ minLength: 1, description: 'the service (same namespace) whose ready endpoints get the request' }),
    port: Type.Optional(Type.String({ minLength: 1, description: "a port name of the service's template (default its first port)" })),
  },
  { additionalProperties: false },
);

const IngressSpec = Type.Object({ rules: Type.Array(IngressRule, { minItems: 1, maxItems: 100 }) }, { additionalProperties: false });
const IngressStatus = Type.Object(
  { addresses: Type.Optional(Type.Array(Type.String(), { description: 'where a proxy serves it ("http://host:port")' })) },
  { additionalProperties: false },
);

type _spec = Expect<Same<Static<typeof IngressSpec>, ModelSpec>>;
type _status = Expect<Same<Static<typeof IngressStatus>, ModelStatus>>;

export const ingresses = defineKind({
  kind: 'Ingress',
  plural: 'ingresses',
  namespaced: true,
  shortNames: ['ingress', 'ing'],
  description: "HTTP routing: requests whose Host and path match a rule go to the ready tasks of the rule's service, through drover's ingress proxy.",
  spec: IngressSpec,
  status: IngressStatus,
  validate: (ing) => {
    const errs: FieldError[] = [];
    const seen = new Map<string, number>();
    ing.spec.rules.forEach((r, i) => {
      const key = `${(r.host ?? '').toLowerCase()} ${r.path ?? '/'}`;
      const first = seen.get(key);
      if (first !== undefined) errs.push({ path: `/spec/rules/${i}`, message: `same host and path as rule ${first}: each host and path may name one service` });
      else seen.set(key, i);
    });
    return errs;
  },
});
