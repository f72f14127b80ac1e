// Health checks with their defaults filled in, as the agent runs them and the CLI names them.
import type { AllocatedPort, HealthCheck, TaskTemplate } from './template.js';

export type CheckRole = NonNullable<HealthCheck['role']>;

/** A check with every default applied (Kubernetes' probe defaults, but readiness by default). */
export interface ResolvedCheck extends Required<Omit<HealthCheck, 'port' | 'command' | 'path' | 'expectStatus'>> {
  port?: string | number;
  path: string;
  expectStatus: string;
  command?: string[];
}

export function resolveChecks(template: Pick<TaskTemplate, 'checks'>): ResolvedCheck[] {
  return (template.checks ?? []).map((c, i) => {
    const role = c.role ?? 'readiness';
    return {
      ...c,
      name: c.name ?? `${role}-${c.type}-${i}`,
      role,
      path: c.path ?? '/',
      expectStatus: c.expectStatus ?? '200-399',
      intervalSeconds: c.intervalSeconds ?? 10,
      timeoutSeconds: c.timeoutSeconds ?? 2,
      initialDelaySeconds: c.initialDelaySeconds ?? 0,
      successThreshold: c.successThreshold ?? 1,
      failureThreshold: c.failureThreshold ?? 3,
    };
  });
}

/** Whether an HTTP status is in a check's expected range ("200-399", or one code "204"). */
export function isExpectedStatus(expect: string, status: number): boolean {
  const [lo, hi] = expect.split('-').map(Number);
  return status >= lo! && status <= (hi ?? lo!);
}

/**
 * The port number a check reaches: a number as given; a name through the ports the scheduler
 * allocated to the task first, then the template's fixed ports; none given: the first port.
 * Undefined when it names nothing.
 */
export function checkPort(port: string | number | undefined, template: Pick<TaskTemplate, 'ports'>, allocated: AllocatedPort[] | undefined): number | undefined {
  if (typeof port === 'number') return port;
  const fixed = (template.ports ?? []).map((p, i) => ({ name: p.name ?? `port${i}`, port: p.port }));
  if (port === undefined) return allocated?.[0]?.port ?? fixed[0]?.port;
  if (/^\d+$/.test(port)) return Number(port);
  return allocated?.find((p) => p.name === port)?.port ?? fixed.find((p) => p.name === port)?.port;
}
