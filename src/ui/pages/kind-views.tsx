// What the console shows of datasets, hosts, clusters and operations: the columns of each list
// and the facts of each detail page, in the words `drover get` and `drover describe` use.
import type { ComponentChildren } from 'preact';
import type { Cluster } from '../../model/cluster.js';
import type { Dataset } from '../../model/dataset.js';
import type { Host } from '../../model/host.js';
import type { AnyObject } from '../../model/meta.js';
import type { Operation } from '../../model/operation.js';
import { formatBytes } from '../../model/quantity.js';
import { age, Phase } from '../components.js';
import { machineHref } from './machines.js';

export interface Column<T> {
  title: string;
  cell: (o: T) => ComponentChildren;
}

export interface KindView<T extends AnyObject> {
  title: string;
  kind: string;
  columns: Column<T>[];
  /** The detail page's facts, as term and value. */
  facts: (o: T) => [string, ComponentChildren][];
}

/** A bar with the numbers as text: a dataset move's bytes, an operation's steps. */
export function Progress({ done, total, label, format = String }: { done: number; total: number; label: string; format?: (n: number) => string }) {
  const max = Math.max(total, 1);
  return (
    <span class="progress-cell">
      <progress class="progress" value={Math.min(done, max)} max={max} aria-label={label} />
      <span data-testid="progress-text">
        {format(done)} / {format(total)}
      </span>
    </span>
  );
}

const machineLink = (name: string | undefined) => (name ? <a href={machineHref(name)} title={name}>{name.slice(0, 12)}</a> : '—');
const bytes = (n: number | undefined) => (n === undefined ? '—' : formatBytes(n));

function datasetMove(d: Dataset): ComponentChildren {
  const move = d.status?.move;
  if (!move) return '—';
  return (
    <span data-testid="move">
      {move.phase} {machineLink(move.from)} → {machineLink(move.to)} <Progress done={move.bytesDone} total={move.bytesTotal} label="bytes moved" format={formatBytes} />
    </span>
  );
}

const datasets: KindView<Dataset> = {
  title: 'Datasets',
  kind: 'Dataset',
  columns: [
    { title: 'Phase', cell: (d) => <Phase phase={d.status?.phase} /> },
    { title: 'Primary', cell: (d) => machineLink(d.spec.primary) },
    { title: 'Held by', cell: (d) => machineLink(d.status?.machine) },
    { title: 'Size', cell: (d) => `${bytes(d.status?.size)}${d.spec.maximumSize ? ` of ${bytes(d.spec.maximumSize)}` : ''}` },
    { title: 'Move', cell: datasetMove },
  ],
  facts: (d) => [
    ['ID', <code>{d.spec.id ?? '—'}</code>],
    ['Phase', <Phase phase={d.status?.phase} />],
    ['Primary', machineLink(d.spec.primary)],
    ['Held by', machineLink(d.status?.machine)],
    ['Backend', d.spec.backend ?? 'directory'],
    ['Size', bytes(d.status?.size)],
    ['Maximum size', bytes(d.spec.maximumSize)],
    ['Path', d.status?.path ?? '—'],
    ['Move', datasetMove(d)],
    ['Message', d.status?.message ?? '—'],
  ],
};

const hosts: KindView<Host> = {
  title: 'Hosts',
  kind: 'Host',
  columns: [
    { title: 'Address', cell: (h) => `${h.spec.address}${h.spec.port ? `:${h.spec.port}` : ''}` },
    { title: 'Phase', cell: (h) => <Phase phase={h.status?.phase} /> },
    { title: 'Reason', cell: (h) => h.status?.reason ?? '' },
    { title: 'Cluster', cell: (h) => (h.spec.cluster ? <a href={`#/clusters/${encodeURIComponent(h.spec.cluster)}`}>{h.spec.cluster}</a> : '—') },
    { title: 'Machine', cell: (h) => machineLink(h.status?.machine) },
    { title: 'Last check', cell: (h) => (h.status?.lastCheck ? `${age(h.status.lastCheck)} ago` : '—') },
  ],
  facts: (h) => [
    ['Address', `${h.spec.address}:${h.spec.port ?? 22}`],
    ['User', h.spec.remoteUser ?? 'root'],
    ['Phase', <Phase phase={h.status?.phase} />],
    ['Why', [h.status?.reason, h.status?.message].filter(Boolean).join(': ') || '—'],
    ['OS', h.status?.osName ?? h.status?.os ?? '—'],
    ['CPUs, memory, space', `${h.status?.cpus ?? '?'}, ${bytes(h.status?.memory)}, ${bytes(h.status?.space)}`],
    ['Machine', machineLink(h.status?.machine)],
    ['Host key', <code>{h.spec.hostKey ?? h.status?.hostKeyFingerprint ?? '—'}</code>],
  ],
};

const clusters: KindView<Cluster> = {
  title: 'Clusters',
  kind: 'Cluster',
  columns: [
    { title: 'Phase', cell: (c) => <Phase phase={c.status?.phase} /> },
    { title: 'Hosts available', cell: (c) => (c.status?.hosts ? `${c.status.hosts.available} of ${c.status.hosts.total}` : '—') },
    { title: 'Network', cell: (c) => c.spec.network ?? 'default' },
    { title: 'Container manager', cell: (c) => c.spec.containerManager ?? '—' },
  ],
  facts: (c) => [
    ['Phase', <Phase phase={c.status?.phase} />],
    ['Hosts', c.status?.hosts ? `${c.status.hosts.available} available, ${c.status.hosts.unavailable} unavailable, ${c.status.hosts.total} in all` : '—'],
    ['Network', c.spec.network ?? 'default'],
    ['Container manager', c.spec.containerManager ?? '—'],
  ],
};

function operationProgress(o: Operation): ComponentChildren {
  const p = o.status?.progress;
  return p ? <Progress done={p.completed} total={p.total} label="progress" /> : '—';
}

const operations: KindView<Operation> = {
  title: 'Operations',
  kind: 'Operation',
  columns: [
    { title: 'Type', cell: (o) => o.spec.type },
    { title: 'Target', cell: (o) => (o.spec.target ? `${o.spec.target.kind.toLowerCase()}/${o.spec.target.name}` : '—') },
    { title: 'Phase', cell: (o) => <Phase phase={o.status?.phase} /> },
    { title: 'Progress', cell: operationProgress },
    { title: 'Started', cell: (o) => (o.status?.startedAt ? `${age(o.status.startedAt)} ago` : '—') },
  ],
  facts: (o) => [
    ['Type', o.spec.type],
    ['Target', o.spec.target ? `${o.spec.target.kind.toLowerCase()}/${o.spec.target.name}` : '—'],
    ['Phase', <Phase phase={o.status?.phase} />],
    ['Progress', <>{operationProgress(o)} {o.status?.progress?.message ?? ''}</>],
    ['Started', o.status?.startedAt ? `${age(o.status.startedAt)} ago` : '—'],
    ['Finished', o.status?.finishedAt ? `${age(o.status.finishedAt)} ago` : '—'],
    ['Error', o.status?.error ?? '—'],
  ],
};

export const KIND_VIEWS = { datasets, hosts, clusters, operations } as unknown as Record<'datasets' | 'hosts' | 'clusters' | 'operations', KindView<AnyObject>>;
