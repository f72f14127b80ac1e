// How the CLI shows Endpoints: `get endpoints` rows, and the lines `describe service` prints.
import type { EndpointAddress, Endpoints } from '../model/index.js';
import type { Columns } from './kinds.js';
import { age } from './output.js';

/** Addresses shown in a row before "+N more" (kubectl's habit: a row stays one line). */
const MAX_SHOWN = 4;

export const endpointsColumns: Columns = {
  header: ['NAME', 'READY', 'ADDRESSES', 'AGE'],
  colour: -1,
  row: (o, ctx) => {
    const ep = o as Endpoints;
    const all = ep.status?.addresses ?? [];
    const ready = all.filter((a) => a.ready);
    return [ep.metadata.name, `${ready.length}/${all.length}`, addressesText(ready), age(ep.metadata.createdAt, ctx.now)];
  },
};

/** "10.0.0.5:20001,10.0.0.6:20007 + 3 more": each ready address with each of its ports. */
export function addressesText(addresses: readonly EndpointAddress[]): string {
  const all = addresses.flatMap(hostPorts);
  if (all.length === 0) return '<none>';
  const shown = all.slice(0, MAX_SHOWN).join(',');
  return all.length > MAX_SHOWN ? `${shown} + ${all.length - MAX_SHOWN} more` : shown;
}

/** "host:port" per port of an address ("host" alone when the task has no ports). */
export function hostPorts(a: EndpointAddress): string[] {
  const ports = Object.values(a.ports);
  return ports.length ? ports.map((p) => `${hostText(a.host)}:${p}`) : [a.host];
}

function hostText(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
