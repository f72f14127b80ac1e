// The list and detail pages of datasets, hosts, clusters and operations: live (the kind's watch),
// the columns and facts of src/ui/pages/kind-views.tsx, conditions, an operation's steps, and the
// object's recent events.
import { Fragment } from 'preact';
import { stringify } from 'yaml';
import type { AnyObject, Condition } from '../../model/meta.js';
import type { Operation } from '../../model/operation.js';
import { useCluster } from '../cluster.js';
import { age, ErrorMessage, Pending, Phase } from '../components.js';
import { useLive } from '../live.js';
import { objectHref, OTHER_KINDS, type OtherPlural } from '../route.js';
import { RecentEvents } from './events.js';
import { KIND_VIEWS } from './kind-views.js';

export function KindListPage({ plural }: { plural: OtherPlural }) {
  const cluster = useCluster();
  const view = KIND_VIEWS[plural];
  const live = useLive(cluster.collection<AnyObject>(plural));
  const items = [...(live?.items.values() ?? [])].sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name));
  return (
    <>
      <h1>{view.title}</h1>
      {live?.state === 'live' || live?.items.size ? (
        items.length ? (
          <table data-testid={plural}>
            <thead>
              <tr>
                <th>Name</th>
                {OTHER_KINDS[plural] ? <th>Namespace</th> : null}
                {view.columns.map((c) => (
                  <th key={c.title}>{c.title}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((o) => (
                <tr key={`${o.metadata.namespace}/${o.metadata.name}`} data-name={o.metadata.name}>
                  <td>
                    <a href={objectHref(view.kind, o.metadata.namespace, o.metadata.name)}>{o.metadata.name}</a>
                  </td>
                  {OTHER_KINDS[plural] ? <td>{o.metadata.namespace}</td> : null}
                  {view.columns.map((c) => (
                    <td key={c.title}>{c.cell(o)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">no {plural}</p>
        )
      ) : (
        <Pending snapshot={live} what={plural} />
      )}
    </>
  );
}

export function KindObjectPage({ plural, namespace, name }: { plural: OtherPlural; namespace?: string; name: string }) {
  const cluster = useCluster();
  const view = KIND_VIEWS[plural];
  const live = useLive(cluster.collection<AnyObject>(plural));
  const obj = live?.items.get(namespace ? `${namespace}/${name}` : name);
  const what = view.kind.toLowerCase();
  if (!obj) {
    return (
      <>
        <h1>{name}</h1>
        {live?.state === 'live' ? <ErrorMessage message={`${what} "${name}" not found${namespace ? ` in namespace "${namespace}"` : ''}`} /> : <Pending snapshot={live} what={plural} />}
      </>
    );
  }
  const status = (obj as { status?: { conditions?: Condition[] } }).status;
  return (
    <>
      <h1>
        {name}{' '}
        <span class="muted">
          {what}
          {namespace ? ` in ${namespace}` : ''}
        </span>
      </h1>
      <dl class="facts" data-testid="facts">
        {view.facts(obj).map(([term, value]) => (
          <Fragment key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
      </dl>
      {plural === 'operations' ? <Steps operation={obj as Operation} /> : null}
      <section aria-labelledby="conditions-h">
        <h2 id="conditions-h">Conditions</h2>
        <Conditions conditions={status?.conditions} />
      </section>
      <details>
        <summary>YAML</summary>
        <pre class="yaml">{stringify(obj)}</pre>
      </details>
      <RecentEvents kind={view.kind} name={name} namespace={namespace} />
    </>
  );
}

export function Conditions({ conditions }: { conditions: Condition[] | undefined }) {
  if (!conditions?.length) return <p class="muted">none reported</p>;
  return (
    <table data-testid="conditions">
      <thead>
        <tr>
          <th>Type</th>
          <th>Status</th>
          <th>Reason</th>
          <th>Message</th>
          <th>Since</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr key={c.type}>
            <td>{c.type}</td>
            <td class={c.status === 'True' ? 'phase running' : c.status === 'False' ? 'phase failed' : 'phase pending'}>{c.status}</td>
            <td>{c.reason ?? ''}</td>
            <td class="message">{c.message ?? ''}</td>
            <td>{c.lastTransitionTime ? age(c.lastTransitionTime) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Steps({ operation }: { operation: Operation }) {
  const steps = operation.status?.steps ?? [];
  return (
    <section aria-labelledby="steps-h">
      <h2 id="steps-h">Steps</h2>
      {steps.length ? (
        <table data-testid="steps">
          <thead>
            <tr>
              <th>Step</th>
              <th>Phase</th>
              <th>Started</th>
              <th>Finished</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {steps.map((s) => (
              <tr key={s.name}>
                <td>
                  {s.name}
                  {s.address ? <span class="muted"> {s.address}</span> : null}
                </td>
                <td>
                  <Phase phase={s.phase} />
                </td>
                <td>{s.startedAt ? `${age(s.startedAt)} ago` : '—'}</td>
                <td>{s.finishedAt ? `${age(s.finishedAt)} ago` : '—'}</td>
                <td class="message">{s.message ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">no steps reported</p>
      )}
    </section>
  );
}
