// How the CLI shows Endpoints: `get endpoints` rows, and the lines `describe service` prints.
import { templatePorts, type EndpointAddress, type Endpoints, type Task, type TaskTemplate } from '../model/index.js';
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

/** A template's ports as `describe service` shows them: "http (dynamic, tcp), admin 8080/tcp". */
export function templatePortsText(template: TaskTemplate): string {
  const ports = templatePorts(template);
  if (!ports.length) return '<none>';
  return ports.map((p) => (p.port === undefined ? `${p.name} (dynamic, ${p.protocol})` : `${p.name} ${p.port}/${p.protocol}`)).join(', ');
}

/** A task's ports as `describe task` shows them: "http 20001/tcp at 10.0.0.5:20001", or "(not allocated yet)". */
export function taskPortsText(t: Task): string {
  const allocated = t.spec.ports ?? [];
  if (!allocated.length) return templatePorts(t.spec.template).length ? '<not allocated yet>' : '<none>';
  return allocated
    .map((p) => {
      const where = t.status?.ports?.find((s) => s.name === p.name)?.address;
      return `${p.name} ${p.port}/${p.protocol}${where ? ` at ${where}` : ''}`;
    })
    .join(', ');
}

/** The lines of an Endpoints' addresses for `describe service`, ready and not ready. */
export function endpointLines(ep: Endpoints | undefined): { header: string[]; rows: string[][] } | undefined {
  const addresses = ep?.status?.addresses;
  if (!addresses?.length) return undefined;
  return {
    header: ['  TASK', 'READY', 'ADDRESSES', 'MACHINE'],
    rows: addresses.map((a) => [`  ${a.task}`, a.ready ? 'true' : 'false', hostPorts(a).join(','), shortMachine(a.machine)]),
  };
}

function shortMachine(id: string): string {
  return /^[0-9a-f]{32}$/.test(id) ? id.slice(0, 8) : id;
}
