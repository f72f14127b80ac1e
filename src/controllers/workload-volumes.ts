// Tasks that mount datasets go where the data is: before a pass's requests reach the scheduler,
// each one whose task has volumes is pinned to its datasets' primary, or set aside with the
// reason it cannot run anywhere yet. Requests of tasks without volumes (every fleet unit) pass
// through untouched.
import { DEFAULT_NAMESPACE, keyIn, type Dataset, type Task } from '../model/index.js';
import { volumePin, type DatasetView, type PlacementRequest, type Unplaced } from '../scheduler/index.js';

export interface VolumeResolution {
  /** The requests to hand the scheduler: volume tasks pinned to their primary. */
  requests: PlacementRequest[];
  /** Requests no machine can take until their datasets change. */
  blocked: Unplaced[];
  /** For a pinned request the scheduler cannot place there: what the pin is, to lead its reason. */
  pins: Map<string, string>;
}

/** `taskOf(key)`: the task of a request; `datasetOf(key)`: a dataset by "namespace/name". */
export function resolveVolumes(requests: PlacementRequest[], taskOf: (key: string) => Task | undefined, datasetOf: (key: string) => Dataset | undefined): VolumeResolution {
  const out: VolumeResolution = { requests, blocked: [], pins: new Map() };
  if (!requests.some((r) => taskOf(r.task)?.spec.template.volumes?.length)) return out;
  out.requests = [];
  for (const r of requests) {
    const t = taskOf(r.task);
    const volumes = t?.spec.template.volumes;
    if (!t || !volumes?.length) {
      out.requests.push(r);
      continue;
    }
    const namespace = t.metadata.namespace ?? DEFAULT_NAMESPACE;
    const names = [...new Set(volumes.map((v) => v.dataset))];
    const pin = volumePin(names.map((name) => ({ name, view: viewOf(name, datasetOf(keyIn(namespace, name))) })), r.constraints.machine);
    if ('reason' in pin) {
      out.blocked.push({ task: r.task, reason: pin.reason });
      continue;
    }
    out.pins.set(r.task, `its dataset${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')} live${names.length > 1 ? '' : 's'} on ${pin.machine}`);
    out.requests.push({ ...r, constraints: { ...r.constraints, machine: pin.machine } });
  }
  return out;
}

function viewOf(name: string, ds: Dataset | undefined): DatasetView | undefined {
  if (!ds) return undefined;
  return { name, primary: ds.spec.primary, deleted: ds.spec.deleted, unplacedWhy: ds.spec.primary ? undefined : ds.status?.message };
}

/** What of a dataset placement looks at, as a string to compare: a change of it retries pending tasks. */
export function placementView(ds: Dataset | undefined): string {
  return JSON.stringify([ds?.metadata.uid, ds?.spec.primary, ds?.spec.deleted, ds?.status?.message]);
}
