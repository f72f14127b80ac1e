// Every service the user may see, with ready of desired replicas, live.
import type { Service } from '../../model/service.js';
import { useCluster } from '../cluster.js';
import { age, Pending } from '../components.js';
import { useLive } from '../live.js';
import { href } from '../route.js';

export function ServicesPage() {
  const cluster = useCluster();
  const services = useLive(cluster.services);
  return (
    <>
      <h1>Services</h1>
      {cluster.can('services', 'create') ? (
        <p>
          <a href="#/services/new">New service…</a>
        </p>
      ) : null}
      {services?.state === 'live' || services?.items.size ? <ServiceRows services={[...services.items.values()]} /> : <Pending snapshot={services} what="services" />}
    </>
  );
}

/** Replicas a service wants: its spec, or (global) what the controller worked out. */
export function desiredOf(s: Service): number {
  return s.status?.desiredReplicas ?? s.spec.replicas ?? 0;
}

export function ServiceRows({ services }: { services: Service[] }) {
  if (services.length === 0) return <p class="muted">no services</p>;
  return (
    <table data-testid="services">
      <thead>
        <tr>
          <th>Name</th>
          <th>Namespace</th>
          <th>Ready</th>
          <th>State</th>
          <th>Age</th>
        </tr>
      </thead>
      <tbody>
        {services
          .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
          .map((s) => (
            <tr key={`${s.metadata.namespace}/${s.metadata.name}`} data-service={s.metadata.name}>
              <td>
                <a href={href('service', s.metadata.namespace, s.metadata.name)}>{s.metadata.name}</a>
              </td>
              <td>{s.metadata.namespace}</td>
              <td class="ready">
                {s.status?.readyReplicas ?? 0}/{desiredOf(s)}
              </td>
              <td>{s.status?.state ?? s.spec.desiredState ?? 'running'}</td>
              <td>{age(s.metadata.createdAt)}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
