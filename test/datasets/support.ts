// A server with controllers and no agents, for the dataset tests: machines are registered and
// kept alive through the API (one heartbeat lasts the long grace period), so placement is
// decided by the server alone and the tests stay fast and deterministic.
import { startTestServer, type TestServer } from '../helpers.js';

export const M1 = 'd1000000000000000000000000000001';
export const M2 = 'd2000000000000000000000000000002';
export const M3 = 'd3000000000000000000000000000003';

export async function startDatasetServer(): Promise<TestServer> {
  return startTestServer({ controllers: true, machineGraceSeconds: 600 });
}

/** Registers `name` and makes it ready (a heartbeat), offering `backends` when given. */
export async function addMachine(s: TestServer, name: string, backends?: string[]): Promise<void> {
  await s.client.machines.create({ metadata: { name } });
  if (backends) await s.client.machines.patchStatus(name, { datasetBackends: backends });
  await s.client.request('POST', `/api/v1/machines/${name}/heartbeat`, { body: {} });
}
