// The machines as a pass needs them alone, built once per machine list: names in order, an
// index, labels grouped into classes (a selector is evaluated once per class), allocatable
// resources, and the machines each selector admits.
import type { MachineView } from './types.js';

/** What a pass needs of the machines alone: built once per machine list (see shapeOf). */
export interface Shape {
  names: string[];
  index: Map<string, number>;
  labels: Record<string, string>[];
  schedulable: Uint8Array;
  allocCpu: Float64Array;
  allocMem: Float64Array;
  labelClasses: { labels: Record<string, string>; machines: number[] }[];
  feasibleBySelector: Map<string, Int32Array>;
}

// A controller passes the same (unchanged) machine list to pass after pass: sorting it, classing
// its labels and matching selectors was a fifth of a pass at 2,000 machines. Keyed by the array,
// so a new or changed list is a new shape; callers never mutate a list they have passed.
const shapes = new WeakMap<readonly MachineView[], Shape>();

export function shapeOf(machines: readonly MachineView[]): Shape {
  let shape = shapes.get(machines);
  if (shape !== undefined) return shape;
  const sorted = [...machines].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const n = sorted.length;
  shape = {
    names: sorted.map((m) => m.name),
    index: new Map(),
    labels: sorted.map((m) => m.labels),
    schedulable: new Uint8Array(n),
    allocCpu: new Float64Array(n),
    allocMem: new Float64Array(n),
    labelClasses: [],
    feasibleBySelector: new Map(),
  };
  const classOf = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const m = sorted[i];
    if (shape.index.has(m.name)) throw new Error(`machine "${m.name}" is listed twice`);
    shape.index.set(m.name, i);
    shape.schedulable[i] = m.schedulable ? 1 : 0;
    shape.allocCpu[i] = m.allocatable.cpuMilli;
    shape.allocMem[i] = m.allocatable.memoryBytes;
    if (!m.schedulable) continue;
    // Machines with the same labels form one class: a selector is evaluated once per class.
    const sig = JSON.stringify(Object.entries(m.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let members = classOf.get(sig);
    if (members === undefined) {
      members = [];
      classOf.set(sig, members);
      shape.labelClasses.push({ labels: m.labels, machines: members });
    }
    members.push(i);
  }
  shapes.set(machines, shape);
  return shape;
}
