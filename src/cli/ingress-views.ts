// How the CLI shows Ingresses: `get ingresses` rows.
import type { Ingress } from '../model/index.js';
import type { Columns } from './kinds.js';
import { age } from './output.js';

export const ingressColumns: Columns = {
  header: ['NAME', 'RULES', 'ADDRESSES', 'AGE'],
  colour: -1,
  row: (o, ctx) => {
    const ing = o as Ingress;
    const rules = ing.spec.rules.map((r) => `${r.host ?? '*'}${r.path ?? '/'}→${r.service}${r.port ? `:${r.port}` : ''}`);
    return [ing.metadata.name, rules.join(','), (ing.status?.addresses ?? []).join(',') || '<none>', age(ing.metadata.createdAt, ctx.now)];
  },
};
