// Events: what happened to objects and why (Kubernetes' events), live. The events page is a table
// of every event the user may see, newest first, narrowed to one object on request; each object's
// page ends with its own recent events.
import { useState } from 'preact/hooks';
import { involvedRef, type Event } from '../../model/event.js';
import { useCluster } from '../cluster.js';
import { age, Pending } from '../components.js';
import { useLive } from '../live.js';
import { objectHref } from '../route.js';

function newestFirst(a: Event, b: Event): number {
  return b.spec.lastTimestamp.localeCompare(a.spec.lastTimestamp);
}

/** Whether the event is about the object: its kind and name, and namespace for namespaced kinds. */
function isAbout(e: Event, kind: string, name: string, namespace?: string): boolean {
  const o = e.spec.involvedObject;
  return o.kind === kind && o.name === name && (namespace === undefined || (o.namespace ?? e.metadata.namespace) === namespace);
}

export function EventsPage({ object }: { object?: string }) {
  const cluster = useCluster();
  const events = useLive(cluster.collection<Event>('events'));
  const [filter, setFilter] = useState(object ?? '');
  const needle = filter.trim().toLowerCase();
  const all = [...(events?.items.values() ?? [])];
  const shown = all.filter((e) => !needle || involvedRef(e).toLowerCase().includes(needle)).sort(newestFirst);
  return (
    <>
      <h1>Events</h1>
      <form class="inline" aria-label="filter events" onSubmit={(e) => e.preventDefault()}>
        <label>
          Object
          <input name="object" type="search" value={filter} placeholder="task/web-x7k2, machine/…" onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <span class="muted" data-testid="event-count">
          {needle ? `${shown.length} of ${all.length}` : `${all.length}`} events
        </span>
      </form>
      {events?.state === 'live' || events?.items.size ? <EventTable events={shown} showObject /> : <Pending snapshot={events} what="events" />}
    </>
  );
}

export function EventTable({ events, showObject }: { events: Event[]; showObject?: boolean }) {
  if (!events.length) return <p class="muted">no events</p>;
  return (
    <table data-testid="events">
      <thead>
        <tr>
          <th>Type</th>
          <th>Reason</th>
          {showObject ? <th>Object</th> : null}
          <th>Message</th>
          <th>Count</th>
          <th>Last seen</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => {
          const o = e.spec.involvedObject;
          const link = objectHref(o.kind, o.namespace ?? e.metadata.namespace, o.name);
          return (
            <tr key={`${e.metadata.namespace}/${e.metadata.name}`} data-event={e.spec.reason} class={e.spec.type === 'Warning' ? 'warning' : undefined}>
              <td class={e.spec.type === 'Warning' ? 'phase failed' : undefined}>{e.spec.type}</td>
              <td>{e.spec.reason}</td>
              {showObject ? <td>{link ? <a href={link}>{involvedRef(e)}</a> : involvedRef(e)}</td> : null}
              <td class="message">{e.spec.message}</td>
              <td>{e.spec.count}</td>
              <td title={e.spec.lastTimestamp}>{age(e.spec.lastTimestamp)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The newest events about one object, at the bottom of its page; nothing for a user who may not see events. */
export function RecentEvents({ kind, name, namespace, max = 10 }: { kind: string; name: string; namespace?: string; max?: number }) {
  const cluster = useCluster();
  const events = useLive(cluster.collection<Event>('events'));
  if (!events) return null;
  const own = [...events.items.values()].filter((e) => isAbout(e, kind, name, namespace)).sort(newestFirst);
  return (
    <section aria-labelledby="events-h" data-testid="recent-events">
      <h2 id="events-h">
        Events{' '}
        <a class="muted" href={`#/events/${encodeURIComponent(kind.toLowerCase())}/${encodeURIComponent(name)}`}>
          (all)
        </a>
      </h2>
      {events.state === 'live' || events.items.size ? <EventTable events={own.slice(0, max)} /> : <Pending snapshot={events} what="events" />}
    </section>
  );
}
