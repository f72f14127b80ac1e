// Where a new dataset goes when its creator names no machine: a machine that can take new work
// and offers the dataset's backend, holding the fewest datasets (ties by name), so
// `drover dataset create data` just works and datasets spread like tasks do. Pure.

export interface DatasetHost {
  name: string;
  /** Live, not cordoned, not being deleted: what the scheduler calls schedulable. */
  schedulable: boolean;
  /** The backends its agent reports (Machine.status.datasetBackends); none reported: any. */
  backends?: readonly string[];
  /** Datasets (not deleted) whose primary it is. */
  datasets: number;
}

export type PrimaryChoice = { machine: string } | { reason: string };

export function choosePrimary(backend: string, hosts: readonly DatasetHost[]): PrimaryChoice {
  if (hosts.length === 0) return { reason: 'no machines are registered' };
  let best: DatasetHost | undefined;
  let notReady = 0;
  const lacking: string[] = [];
  for (const h of hosts) {
    if (!h.schedulable) notReady++;
    else if (h.backends && !h.backends.includes(backend)) lacking.push(h.name);
    else if (!best || h.datasets < best.datasets || (h.datasets === best.datasets && h.name < best.name)) best = h;
  }
  if (best) return { machine: best.name };
  const why: string[] = [];
  if (notReady) why.push(`${notReady} ${notReady === 1 ? 'is' : 'are'} not ready or cordoned`);
  if (lacking.length) why.push(`${lacking.length} ${lacking.length === 1 ? 'does' : 'do'} not offer the ${backend} backend`);
  return { reason: `none of ${hosts.length} machine${hosts.length === 1 ? '' : 's'} can hold it: ${why.join(', ')}` };
}
