// The scheduler's picture of the cluster during one pass: machines indexed by name order, and the
// "assumed" usage (resources, task counts, which services run where) that grows as placements are
// made, so later placements in the pass see earlier ones. Each feasibility check names its
// failure in reasons.ts's terms, so a check and the text that explains it always agree.
import { resolveMachineId } from '../model/machine.js';
import { labelValue } from '../model/meta.js';
import { goPathMatch as globMatches } from '../model/glob.js';
import { shapeOf, type Shape } from './machine-shape.js';
import type { ResolvedPort } from '../model/template.js';
import { allocatePorts, DEFAULT_PORT_RANGE, portKey, shortOfDynamicPorts, takenFixedPort, type PortRange } from './ports.js';
import { describe, describeLabel, summarise, type Failure } from './reasons.js';
import { canonicalSelector, matchesSelector } from './selectors.js';
import type { MachineView, PlacementRequest, Strategy, TaskView } from './types.js';

/** A placement request normalised once: selector canonicalised, conflict relevance known. */
export interface Ask {
  task: string;
  service: string | undefined;
  cpuMilli: number;
  memoryBytes: number;
  /** [key, accepted values] sorted by key; values sorted. */
  selector: [string, string[]][];
  selectorKey: string;
  globs: string[];
  /** false when no conflict glob anywhere can involve this task: conflict checks are skipped. */
  hasConflicts: boolean;
  /** Services each of which must run a task on the machine (fleet: every MachineOf= unit). */
  machineOf: string[] | undefined;
  pinned: string | undefined;
  strategy: Strategy;
  /** The template's ports; none: no port checks. */
  ports: readonly ResolvedPort[];
  /** What of the ports makes requests alike ('' for none), for candidate queues and shared reasons. */
  portsKey: string;
  portRange: PortRange;
}

interface ConflictSource {
  service: string;
  glob: string;
  count: number;
}

export class Cluster {
  readonly size: number;
  /** Machine names in ascending order; a machine's index is its rank, the spread tie-break. */
  readonly names: string[];
  readonly index: Map<string, number>;
  readonly labels: Record<string, string>[];
  readonly schedulable: Uint8Array;
  readonly allocCpu: Float64Array;
  readonly allocMem: Float64Array;
  readonly usedCpu: Float64Array;
  readonly usedMem: Float64Array;
  readonly taskCount: Float64Array;
  /** Per machine: service name → number of its tasks there. */
  readonly servicesOn: (Map<string, number> | undefined)[];
  /** Per machine: the conflict globs its tasks carry, with the service that carries each and how many tasks do. */
  readonly conflictsOn: (Map<string, ConflictSource> | undefined)[];
  /** Service name → indexes of the machines running one of its tasks. */
  readonly machinesOf: Map<string, Set<number>>;
  /** Per machine: the host ports its tasks hold (portKey: port × protocol). */
  readonly portsOn: (Set<number> | undefined)[];

  private readonly shape: Shape;
  private readonly knownGlobs: Set<string>;
  private readonly targetOfGlob = new Map<string, boolean>();
  // Copy-on-write of what a fork shares with its base: which per-machine maps and per-service
  // sets are this cluster's own (a fork copies one before its first change).
  private readonly ownServices: Uint8Array;
  private readonly ownConflicts: Uint8Array;
  private readonly ownPorts: Uint8Array;
  private readonly ownMachinesOf: Set<string> | undefined;

  /**
   * The machines with the usage of `existing` tasks; or, given a Cluster built over the same
   * machine list, a fork of it: its usage copied in O(machines), its maps shared until changed.
   * A controller keeps one base current with add/remove as tasks come and go and forks it for
   * each pass, instead of re-adding every bound task per pass (O(tasks), most of a pass at 40k).
   */
  constructor(machines: readonly MachineView[], existing: Iterable<TaskView> | Cluster, moreGlobs: Iterable<string> = []) {
    const shape = (this.shape = shapeOf(machines));
    const n = (this.size = shape.names.length);
    this.names = shape.names;
    this.index = shape.index;
    this.labels = shape.labels;
    this.schedulable = shape.schedulable;
    this.allocCpu = shape.allocCpu;
    this.allocMem = shape.allocMem;
    if (existing instanceof Cluster) {
      if (existing.shape !== shape) throw new Error('a cluster can only be forked over the machine list it was built from');
      this.usedCpu = existing.usedCpu.slice();
      this.usedMem = existing.usedMem.slice();
      this.taskCount = existing.taskCount.slice();
      this.servicesOn = existing.servicesOn.slice();
      this.conflictsOn = existing.conflictsOn.slice();
      this.portsOn = existing.portsOn.slice();
      this.machinesOf = new Map(existing.machinesOf);
      this.knownGlobs = new Set(existing.knownGlobs);
      this.ownServices = new Uint8Array(n);
      this.ownConflicts = new Uint8Array(n);
      this.ownPorts = new Uint8Array(n);
      this.ownMachinesOf = new Set();
      for (const g of moreGlobs) this.knownGlobs.add(g);
      return;
    }
    this.usedCpu = new Float64Array(n);
    this.usedMem = new Float64Array(n);
    this.taskCount = new Float64Array(n);
    this.servicesOn = new Array(n).fill(undefined);
    this.conflictsOn = new Array(n).fill(undefined);
    this.portsOn = new Array(n).fill(undefined);
    this.machinesOf = new Map();
    this.knownGlobs = new Set(moreGlobs);
    this.ownServices = new Uint8Array(n).fill(1);
    this.ownConflicts = new Uint8Array(n).fill(1);
    this.ownPorts = new Uint8Array(n).fill(1);
    this.ownMachinesOf = undefined;
    for (const t of existing) this.addTask(t);
  }

  /** Records a bound task (a TaskView) on its machine; one bound to a machine not in the list uses nothing here. */
  addTask(t: TaskView): void {
    for (const g of t.conflicts ?? []) this.knownGlobs.add(g);
    const i = t.machine === undefined ? undefined : this.index.get(t.machine);
    if (i !== undefined) this.add(i, t.service, t.request.cpuMilli, t.request.memoryBytes, t.conflicts ?? [], keysOf(t.ports));
  }

  /** Forgets a task recorded by addTask (with the same view). */
  removeTask(t: TaskView): void {
    const i = t.machine === undefined ? undefined : this.index.get(t.machine);
    if (i === undefined) return;
    this.usedCpu[i] -= t.request.cpuMilli;
    this.usedMem[i] -= t.request.memoryBytes;
    this.taskCount[i] -= 1;
    if (t.ports?.length) {
      const ports = writableSet(this.portsOn, this.ownPorts, i);
      for (const key of keysOf(t.ports)) ports.delete(key);
    }
    const service = t.service;
    if (service === undefined) return;
    const services = this.writableServices(i);
    const left = (services.get(service) ?? 1) - 1;
    if (left > 0) services.set(service, left);
    else {
      services.delete(service);
      const where = this.writableMachinesOf(service);
      where.delete(i);
      if (where.size === 0) this.machinesOf.delete(service);
    }
    const globs = t.conflicts ?? [];
    if (globs.length === 0) return;
    const conflicts = this.writableConflicts(i);
    for (const glob of globs) {
      const key = `${glob}\0${service}`;
      const e = conflicts.get(key);
      if (e === undefined) continue;
      if (e.count > 1) conflicts.set(key, { ...e, count: e.count - 1 });
      else conflicts.delete(key);
    }
  }

  private writableServices(i: number): Map<string, number> {
    return writableSlot(this.servicesOn, this.ownServices, i);
  }

  private writableConflicts(i: number): Map<string, ConflictSource> {
    return writableSlot(this.conflictsOn, this.ownConflicts, i);
  }

  private writableMachinesOf(service: string): Set<number> {
    let where = this.machinesOf.get(service);
    if (where === undefined) {
      this.machinesOf.set(service, (where = new Set()));
      this.ownMachinesOf?.add(service);
    } else if (this.ownMachinesOf !== undefined && !this.ownMachinesOf.has(service)) {
      this.machinesOf.set(service, (where = new Set(where)));
      this.ownMachinesOf.add(service);
    }
    return where;
  }

  /** Normalises a request (selector canonicalised, whether conflicts can apply at all). */
  ask(r: PlacementRequest, portRange: PortRange = DEFAULT_PORT_RANGE): Ask {
    const c = r.constraints;
    const [selector, selectorKey] = canonicalSelector(c.machineSelector);
    const globs = c.conflicts ?? [];
    return {
      task: r.task,
      service: r.service,
      cpuMilli: r.request.cpuMilli,
      memoryBytes: r.request.memoryBytes,
      selector,
      selectorKey,
      globs,
      hasConflicts: globs.length > 0 || this.isConflictTarget(r.service),
      machineOf: c.machineOf === undefined ? undefined : typeof c.machineOf === 'string' ? [c.machineOf] : c.machineOf,
      pinned: c.machine === undefined ? undefined : this.resolvePin(c.machine),
      strategy: r.strategy ?? 'spread',
      ports: r.ports ?? [],
      portsKey: r.ports?.length ? JSON.stringify(r.ports.map((p) => [p.port ?? 0, p.protocol])) : '',
      portRange,
    };
  }

  /**
   * The machine a pin names: its full ID, or — as fleet's MachineID= does (machine/state.go
   * MatchID) — the first 8 characters of exactly one machine's ID. Resolved at placement, so
   * a unit may name a machine that registers later. Unresolved, it is kept and reported.
   */
  private resolvePin(pin: string): string {
    if (this.index.has(pin) || pin.length !== 8) return pin;
    return resolveMachineId(this.names, pin) ?? pin;
  }

  /** Records a task on machine i (`ports`: the portKeys it holds there). */
  add(i: number, service: string | undefined, cpuMilli: number, memoryBytes: number, globs: readonly string[], ports: readonly number[] = []): void {
    this.usedCpu[i] += cpuMilli;
    this.usedMem[i] += memoryBytes;
    this.taskCount[i] += 1;
    if (ports.length) {
      const used = writableSet(this.portsOn, this.ownPorts, i);
      for (const key of ports) used.add(key);
    }
    if (service === undefined) return;
    const services = this.writableServices(i);
    const had = services.get(service) ?? 0;
    services.set(service, had + 1);
    if (had === 0) this.writableMachinesOf(service).add(i);
    if (globs.length === 0) return;
    const conflicts = this.writableConflicts(i);
    for (const glob of globs) {
      const key = `${glob}\0${service}`;
      const e = conflicts.get(key);
      conflicts.set(key, e === undefined ? { service, glob, count: 1 } : { ...e, count: e.count + 1 });
    }
  }

  /** Schedulable machines matching a selector, ascending index; cached per selector. */
  feasible(ask: Ask): Int32Array {
    // Labels and schedulability only: shared by every pass over the same machine list.
    let found = this.shape.feasibleBySelector.get(ask.selectorKey);
    if (found === undefined) {
      const out: number[] = [];
      for (const cls of this.shape.labelClasses) if (matchesSelector(ask.selector, cls.labels)) for (const m of cls.machines) out.push(m);
      found = Int32Array.from(out).sort();
      this.shape.feasibleBySelector.set(ask.selectorKey, found);
    }
    return found;
  }

  fits(i: number, ask: Ask): boolean {
    return (
      (ask.cpuMilli === 0 || this.usedCpu[i] + ask.cpuMilli <= this.allocCpu[i]) &&
      (ask.memoryBytes === 0 || this.usedMem[i] + ask.memoryBytes <= this.allocMem[i]) &&
      (ask.ports.length === 0 || this.portFailure(i, ask) === undefined)
    );
  }

  /** Why machine i cannot give the task its ports: a fixed one taken, or the dynamic range used up. */
  portFailure(i: number, ask: Ask): Failure | undefined {
    const used = this.portsOn[i];
    const taken = takenFixedPort(used, ask.ports);
    if (taken !== undefined) return { kind: 'port', detail: taken, free: 0 };
    const short = shortOfDynamicPorts(used, ask.ports, ask.portRange);
    return short === undefined ? undefined : { kind: 'dynamicPorts', detail: short, free: 0 };
  }

  /** The ports a task placed on machine i gets there (see allocatePorts); call before add(). */
  allocate(i: number, ask: Ask): ReturnType<typeof allocatePorts> {
    return allocatePorts(this.portsOn[i], ask.ports, ask.portRange, ask.task);
  }

  /**
   * The conflict that keeps the task off machine i, described ("conflicts web-*" or
   * `service "db" conflicts web*`), or undefined. Both directions: the task's globs against the
   * services there, and the globs of the tasks there against the task's service.
   * `ignoreOwn` leaves the task's own service out (a global service's own tasks).
   */
  conflict(i: number, ask: Ask, ignoreOwn = false): string | undefined {
    if (!ask.hasConflicts) return undefined;
    const services = this.servicesOn[i];
    if (services !== undefined && ask.globs.length > 0) {
      for (const glob of ask.globs) {
        for (const other of services.keys()) {
          if (ignoreOwn && other === ask.service) continue;
          if (globMatches(glob, other)) return `conflicts ${glob}`;
        }
      }
    }
    const conflicts = this.conflictsOn[i];
    if (conflicts !== undefined && ask.service !== undefined) {
      for (const { service, glob } of conflicts.values()) {
        if (ignoreOwn && service === ask.service) continue;
        if (globMatches(glob, ask.service)) return `service "${service}" conflicts ${glob}`;
      }
    }
    return undefined;
  }

  /** Every constraint, in the order a reason reports them; undefined when machine i can take the task. */
  check(i: number, ask: Ask, global = false): Failure | undefined {
    if (ask.pinned !== undefined && this.names[i] !== ask.pinned) return { kind: 'pinned', detail: ask.pinned, free: 0 };
    // A global service's task already there stays: its usage is counted, and a cordoned or
    // unready machine keeps what it runs (nothing new goes there).
    const runsOwn = global && ask.service !== undefined && this.servicesOn[i]?.has(ask.service) === true;
    if (!this.schedulable[i] && !runsOwn) return { kind: 'unschedulable', detail: '', free: 0 };
    const labels = this.labels[i];
    for (const [key, values] of ask.selector) {
      const v = labelValue(labels, key);
      if (v === undefined || !values.includes(v)) return { kind: 'label', detail: describeLabel(key, values), free: 0 };
    }
    if (ask.machineOf !== undefined) {
      const missing = ask.machineOf.find((s) => !this.servicesOn[i]?.has(s));
      if (missing !== undefined) return { kind: 'machineOf', detail: missing, free: 0 };
    }
    const conflict = this.conflict(i, ask, global);
    if (conflict !== undefined) return { kind: 'conflict', detail: conflict, free: 0 };
    if (runsOwn) return undefined;
    if (ask.ports.length > 0) {
      const f = this.portFailure(i, ask);
      if (f !== undefined) return f;
    }
    if (ask.cpuMilli > 0 && this.usedCpu[i] + ask.cpuMilli > this.allocCpu[i]) {
      return { kind: 'cpu', detail: '', free: Math.max(0, this.allocCpu[i] - this.usedCpu[i]) };
    }
    if (ask.memoryBytes > 0 && this.usedMem[i] + ask.memoryBytes > this.allocMem[i]) {
      return { kind: 'memory', detail: '', free: Math.max(0, this.allocMem[i] - this.usedMem[i]) };
    }
    return undefined;
  }

  /** Does machine a come before machine b in the strategy's order? */
  before(a: number, b: number, strategy: Strategy): boolean {
    if (strategy === 'spread') {
      const ca = this.taskCount[a];
      const cb = this.taskCount[b];
      return ca < cb || (ca === cb && a < b);
    }
    const fa = this.allocCpu[a] - this.usedCpu[a];
    const fb = this.allocCpu[b] - this.usedCpu[b];
    if (fa !== fb) return fa < fb;
    const ma = this.allocMem[a] - this.usedMem[a];
    const mb = this.allocMem[b] - this.usedMem[b];
    if (ma !== mb) return ma < mb;
    return a < b;
  }

  /** Why no machine can take the task, per constraint. */
  explain(ask: Ask): string {
    if (this.size === 0) return 'no machines are registered';
    if (ask.pinned !== undefined) {
      const i = this.index.get(ask.pinned);
      if (i === undefined) return `machine "${ask.pinned}" (pinned) is not registered`;
      const f = this.check(i, ask);
      return f === undefined ? `machine "${ask.pinned}" (pinned) fits` : `machine "${ask.pinned}" (pinned) ${describe(f, 1, f.free, ask)}`;
    }
    const absent = ask.machineOf?.find((s) => (this.machinesOf.get(s)?.size ?? 0) === 0);
    if (absent !== undefined) return `no machine runs a task of service "${absent}" (machineOf)`;
    const failures: Failure[] = [];
    for (let i = 0; i < this.size; i++) {
      const f = this.check(i, ask);
      if (f !== undefined) failures.push(f);
    }
    return `${this.size - failures.length}/${this.size} machines fit: ${summarise(failures, ask)}`;
  }

  /** Is the service matched by any conflict glob in play (so its placements need conflict checks)? */
  private isConflictTarget(service: string | undefined): boolean {
    if (service === undefined || this.knownGlobs.size === 0) return false;
    let hit = this.targetOfGlob.get(service);
    if (hit === undefined) {
      hit = false;
      for (const g of this.knownGlobs) {
        if (globMatches(g, service)) {
          hit = true;
          break;
        }
      }
      this.targetOfGlob.set(service, hit);
    }
    return hit;
  }
}

/** Slot i of a copy-on-write array of sets: copied (or made) on a cluster's first write to it. */
function writableSet<V>(sets: (Set<V> | undefined)[], owned: Uint8Array, i: number): Set<V> {
  let set = sets[i];
  if (set === undefined || !owned[i]) {
    set = sets[i] = new Set(set);
    owned[i] = 1;
  }
  return set;
}

function keysOf(ports: TaskView['ports']): number[] {
  return ports?.map((p) => portKey(p.port, p.protocol)) ?? [];
}

/** Slot i of a copy-on-write array of maps: copied from the shared map (or made) on a cluster's first write to it. */
function writableSlot<K, V>(maps: (Map<K, V> | undefined)[], owned: Uint8Array, i: number): Map<K, V> {
  let map = maps[i];
  if (map === undefined || !owned[i]) {
    map = maps[i] = new Map(map);
    owned[i] = 1;
  }
  return map;
}
