// Dependencies between the units of one machine, which systemd would resolve in one transaction
// and drover's runners start independently:
// - After=/Before=: a unit waits (bounded) for the units it is ordered after that are starting on
//   this machine at the same time to become active (or to give up);
// - BindsTo=/Requires=: when the unit bound to leaves the active state (stopped, exited, or
//   restarting), this unit is stopped too and parked, inactive, until the unit bound to is active
//   again (fleet's sidekick pattern: foo-discovery.service BindsTo=foo.service).
// Wants= starts nothing by itself in drover: every unit is a task the scheduler places anyway.
// Units on other machines are not seen: a dependency on them is neither waited for nor bound.
import type { UnitDependencies } from '../../units/index.js';
import type { UnitState } from './driver.js';

/** What the coordinator needs of a unit's run. */
export interface CoordinatedRun {
  readonly unitName: string;
  readonly dependencies: UnitDependencies;
  readonly state: UnitState;
  /** Stopped because a unit it binds to went away; waits for it to come back. */
  readonly isParked: boolean;
  park(): void;
  unpark(): void;
}

export interface UnitCoordinatorOptions {
  /** How long a start waits for the units it is ordered after (default 30 s). */
  orderTimeoutMs?: number;
  /** How long a starting unit lets others that became due with it register first (default 100 ms). */
  settleMs?: number;
}

const POLL_MS = 50;

export class UnitCoordinator {
  private readonly runs = new Map<string, CoordinatedRun>();
  private readonly orderTimeoutMs: number;
  private readonly settleMs: number;

  constructor(opts: UnitCoordinatorOptions = {}) {
    this.orderTimeoutMs = opts.orderTimeoutMs ?? 30_000;
    this.settleMs = opts.settleMs ?? 100;
  }

  /** The current run of a unit on this machine. */
  get(unitName: string): CoordinatedRun | undefined {
    return this.runs.get(unitName);
  }

  register(run: CoordinatedRun): void {
    this.runs.set(run.unitName, run);
  }

  unregister(run: CoordinatedRun): void {
    if (this.runs.get(run.unitName) === run) this.runs.delete(run.unitName);
  }

  /** Units `run` must wait for now: ordered before it (its After=, their Before=) or bound to, and still starting. */
  blockers(run: CoordinatedRun): string[] {
    const d = run.dependencies;
    const names = new Set([...d.after, ...d.bindsTo, ...d.requires]);
    for (const other of this.runs.values()) if (other !== run && other.dependencies.before.includes(run.unitName)) names.add(other.unitName);
    // A unit this one must start before is never waited for, even if it says After= us too.
    for (const n of d.before) names.delete(n);
    names.delete(run.unitName);
    return [...names].filter((n) => this.runs.get(n)?.state.active === 'activating');
  }

  /** Waits until nothing blocks `run` (or the bound wait is over); `cancelled` stops the wait. */
  async waitForOrder(run: CoordinatedRun, cancelled: () => boolean = () => false): Promise<void> {
    const d = run.dependencies;
    if (d.after.length + d.bindsTo.length + d.requires.length > 0) await sleep(this.settleMs);
    const deadline = Date.now() + this.orderTimeoutMs;
    while (!cancelled() && Date.now() < deadline && this.blockers(run).length > 0) await sleep(POLL_MS);
  }

  /** A unit's state moved: stop what binds to it when it leaves the active state, resume it when back. */
  changed(run: CoordinatedRun): void {
    if (this.runs.get(run.unitName) !== run) return;
    const active = run.state.active;
    for (const other of this.runs.values()) {
      if (other === run) continue;
      const d = other.dependencies;
      if (!d.bindsTo.includes(run.unitName) && !d.requires.includes(run.unitName)) continue;
      if (active === 'active' && other.isParked) other.unpark();
      else if ((active === 'deactivating' || active === 'inactive' || active === 'failed') && !other.isParked && other.state.active === 'active') other.park();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
