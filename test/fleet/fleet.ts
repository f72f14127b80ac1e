// Helpers for the fleet façade tests: raw requests (status, headers and bytes are what is
// asserted) and native objects made through the public API.
import type { Client } from '../../src/client/client.js';
import { http } from '../helpers.js';

export const JSON_HEADERS = { 'content-type': 'application/json' };

/** `auth`: headers every request carries (a secure server's token). */
export function fleet(base: string, prefix = '/fleet/v1', auth: Record<string, string> = {}) {
  const url = (p: string) => `${base}${prefix}${p}`;
  return {
    url,
    get: (p: string) => http(url(p), { headers: auth }),
    put: (p: string, body: unknown, headers: Record<string, string> = JSON_HEADERS) =>
      http(url(p), { method: 'PUT', headers: { ...auth, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    del: (p: string) => http(url(p), { method: 'DELETE', headers: auth }),
    patch: (p: string, body: unknown) => http(url(p), { method: 'PATCH', headers: { ...auth, ...JSON_HEADERS }, body: JSON.stringify(body) }),
    req: (method: string, p: string) => http(url(p), { method, headers: auth }),
  };
}

export const sleepUnit = (value = '/bin/sleep 3000') => [{ section: 'Service', name: 'ExecStart', value }];

/** A machine as an agent leaves it: registered, Ready, with an address. */
export async function readyMachine(client: Client, name: string, labels: Record<string, string> = {}, address = '10.0.0.1'): Promise<void> {
  await client.machines.create({ metadata: { name, labels } } as never);
  await client.machines.replaceStatus(name, {
    address,
    conditions: [{ type: 'Ready', status: 'True', reason: 'HeartbeatReceived' }],
  } as never);
}

/** A task of `service` placed on `machine` with what its agent reported, as the controllers and agent would write it. */
export async function reportedTask(
  client: Client,
  service: string,
  machine: string,
  unitState: { load: string; active: string; sub: string },
  phase = 'Running',
): Promise<void> {
  const svc = await client.services.get(service);
  const name = `${service.replace(/[@.]/g, '-')}-${machine.slice(0, 6)}`;
  await client.tasks.create({
    metadata: { name, ownerReferences: [{ kind: 'Service', name: service, uid: svc.metadata.uid!, controller: true }] },
    spec: { machine, template: svc.spec.template },
  } as never);
  await client.tasks.replaceStatus(name, { phase, unitState } as never);
}
