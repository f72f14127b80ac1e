// What a task runner keeps in its task's directory (task.json) for the agent that comes after it
// (a restart re-attaches to runs whose shims outlived the agent): the task as last seen, how
// often it was restarted, and whether its run is the activation of a loaded unit (which then
// goes back to loaded rather than ending).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Task } from '../client/client.js';

export interface TaskRecord {
  task: Task;
  restarts: number;
  activated?: boolean;
}

/** The record in `dir`, or undefined when there is none (or it cannot be read). */
export function readTaskRecord(dir: string): TaskRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'task.json'), 'utf8')) as TaskRecord;
  } catch {
    return undefined;
  }
}

export function writeTaskRecord(dir: string, record: TaskRecord): void {
  const text = JSON.stringify(record);
  // The run's directory is there almost always (a start makes it): a mkdir only when it is not
  // (a mkdir per start was 6 % of a hollow fleet's CPU).
  try {
    writeFileSync(join(dir, 'task.json'), text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'task.json'), text);
  }
}
