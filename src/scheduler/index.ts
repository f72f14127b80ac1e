// The scheduler: pure placement functions over plain data (no I/O). Controllers build the
// views from the watch cache, call these, and write the bindings.
export { placeTasks } from './place.js';
export { Cluster } from './cluster.js';
export { globalPlacements } from './global.js';
export { parseCpuMilli, parseBytes, resourceRequest, formatCpuMilli, formatBytes } from '../model/quantity.js';
export type * from './types.js';
export { volumePin, type DatasetView, type VolumePin } from './volumes.js';
export { choosePrimary, type DatasetHost, type PrimaryChoice } from './dataset-primary.js';
export { allocatePorts, DEFAULT_PORT_RANGE, parsePortRange, portKey, type PortRange } from './ports.js';
