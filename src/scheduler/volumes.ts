// Where a task that mounts datasets may run: on the machine its datasets live on, their primary.
// Data does not follow a task; a task follows its data. Pure: the controller looks the datasets up.

/** What the scheduler needs of a dataset; undefined when it does not exist. */
export interface DatasetView {
  name: string;
  /** spec.primary; none: not placed yet. */
  primary?: string;
  deleted?: boolean;
  /** Why it has no primary (its status message), to pass on. */
  unplacedWhy?: string;
}

/** The machine a task's volumes pin it to, or why it cannot be placed anywhere. */
export type VolumePin = { machine: string } | { reason: string };

/**
 * The one machine every dataset in `datasets` (the task's volumes, in order) has as its primary.
 * Each missing, deleted or unplaced dataset is named in the reason, as is a split between
 * primaries: the task could only run where all its data is.
 */
export function volumePin(datasets: readonly { name: string; view: DatasetView | undefined }[], pinned?: string): VolumePin {
  const problems: string[] = [];
  const on = new Map<string, string[]>();
  for (const { name, view } of datasets) {
    if (!view) problems.push(`dataset "${name}" does not exist: create it (drover dataset create ${name})`);
    else if (view.deleted) problems.push(`dataset "${name}" is deleted: mount another dataset`);
    else if (!view.primary) problems.push(`dataset "${name}" has no primary machine yet${view.unplacedWhy ? ` (${view.unplacedWhy})` : ''}`);
    else on.set(view.primary, [...(on.get(view.primary) ?? []), name]);
  }
  if (problems.length) return { reason: problems.join('; ') };
  if (on.size > 1) {
    const where = [...on].map(([m, names]) => `${names.map((n) => `"${n}"`).join(', ')} on ${m}`).join(', ');
    return { reason: `its datasets live on different machines (${where}); a task can only mount datasets of one machine: move them to one (drover dataset move NAME MACHINE)` };
  }
  const [machine] = on.keys();
  if (machine === undefined) return { reason: 'it mounts no dataset' };
  const names = on.get(machine)!.map((n) => `"${n}"`).join(', ');
  if (pinned !== undefined && pinned !== machine) return { reason: `it is pinned to machine ${pinned}, but dataset ${names} lives on ${machine}` };
  return { machine };
}
