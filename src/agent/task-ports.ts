// A task's allocated ports as its process and its status see them: PORT_<NAME> for each (and
// PORT for the first) in its environment, and "host:port" per port once it runs.
import { portEnvName, templatePorts, type Task, type TaskPortStatus } from '../model/index.js';

/** PORT_<NAME> per allocated port, PORT for the first; none for a task without ports. */
export function portEnv(t: Task): Record<string, string> {
  const ports = t.spec.ports ?? [];
  const env: Record<string, string> = {};
  if (ports.length) env.PORT = String(ports[0].port);
  for (const p of ports) env[portEnvName(p.name)] = String(p.port);
  return env;
}

/** Where each port is reached: the machine's address (as the agent registered it) and the port. */
export function portStatus(t: Task, address: string): TaskPortStatus[] | undefined {
  const ports = t.spec.ports;
  if (!ports?.length) return undefined;
  const host = address.includes(':') ? `[${address}]` : address;
  return ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol, address: `${host}:${p.port}` }));
}

/** Whether the scheduler has yet to allocate the ports the template asks for (a task bound past it). */
export function awaitsPorts(t: Task): boolean {
  return templatePorts(t.spec.template).length !== (t.spec.ports?.length ?? 0);
}
