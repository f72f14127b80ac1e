// The units of this machine, by unit name, for the timers among them (drivers/driver.ts
// MachineUnits): a timer starts the unit it activates through here, and learns when that unit
// became active or inactive (as this agent saw it, else as the task's status says: startedAt,
// finishedAt). A unit is a task bound here whose template has unit options.
import type { MachineUnits as Units } from './drivers/driver.js';
import type { TaskRunner } from './task-runner.js';

export class MachineUnits implements Units {
  private readonly watchers = new Map<string, Set<() => void>>();
  /** When each unit last became active, and inactive, by unit name, since this agent started. */
  private readonly activeAt = new Map<string, number>();
  private readonly inactiveAt = new Map<string, number>();
  private isKnown = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly runners: () => Iterable<TaskRunner>) {}

  activate(name: string): string | undefined {
    const runner = this.find(name);
    if (!runner) return `${name} is not loaded on this machine: load it, and give the timer MachineOf=${name} in its [X-Fleet] section`;
    const problem = runner.activate();
    return problem && `${name} ${problem}`;
  }

  lastActiveAt(name: string): number | undefined {
    return this.activeAt.get(name) ?? parseTime(this.find(name)?.currentTask?.status?.startedAt);
  }

  lastInactiveAt(name: string): number | undefined {
    return this.inactiveAt.get(name) ?? parseTime(this.find(name)?.currentTask?.status?.finishedAt);
  }

  watch(name: string, onChange: () => void): () => void {
    let set = this.watchers.get(name);
    if (!set) this.watchers.set(name, (set = new Set()));
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.watchers.delete(name);
    };
  }

  whenKnown(fn: () => void): void {
    if (this.isKnown) fn();
    else this.waiting.push(fn);
  }

  /** The agent has listed every task of this machine: a timer due at once finds its unit now. */
  known(): void {
    this.isKnown = true;
    for (const fn of this.waiting.splice(0)) fn();
  }

  /** A runner's unit became active, or inactive. */
  changed(runner: TaskRunner, isActive: boolean): void {
    const name = runner.unitName;
    if (!name) return;
    (isActive ? this.activeAt : this.inactiveAt).set(name, Date.now());
    for (const fn of [...(this.watchers.get(name) ?? [])]) fn();
  }

  /** The runner of the unit `name` here; of several (one on its way out), the one not being deleted. */
  private find(name: string): TaskRunner | undefined {
    let found: TaskRunner | undefined;
    for (const r of this.runners()) {
      if (r.unitName !== name) continue;
      if (!found || (found.currentTask?.metadata.deletionTimestamp && !r.currentTask?.metadata.deletionTimestamp)) found = r;
    }
    return found;
  }
}

function parseTime(iso: string | undefined): number | undefined {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
}
