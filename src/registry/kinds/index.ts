// Every kind the native API serves. Adding a kind: its own file, plus one line here.
import type { Kind } from './kind.js';
import { machines } from './machines.js';
import { namespaces } from './namespaces.js';
import { operations } from './operations.js';
import { services } from './services.js';
import { tasks } from './tasks.js';

export const kinds: Kind[] = [machines, services, tasks, operations, namespaces] as unknown as Kind[];
