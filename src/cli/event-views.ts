// Events as the CLI shows them: the `get events` table, `--for KIND/NAME`, and the recent events
// `describe` ends with.
import type { Client, Event } from '../client/client.js';
import { DEFAULT_NAMESPACE, involvedRef, type AnyObject } from '../model/index.js';
import type { Columns } from './kinds.js';
import { age, bold, printable, printTable } from './output.js';

export const eventColumns: Columns = {
  header: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE', 'COUNT'],
  colour: -1,
  row: (o, ctx) => {
    const e = o as Event;
    return [age(e.spec.lastTimestamp, ctx.now), e.spec.type, e.spec.reason, involvedRef(e), oneLine(e.spec.message), String(e.spec.count)];
  },
};

/** The field selector of the events about `kind` (its API name, "Task") `name`. */
export function eventsFor(kind: string, name: string): string {
  return `spec.involvedObject.kind=${kind},spec.involvedObject.name=${name}`;
}

/** Oldest first, as they happened (kubectl sorts the same way). */
export function eventOrder(a: AnyObject, b: AnyObject): number {
  return (a as Event).spec.lastTimestamp.localeCompare((b as Event).spec.lastTimestamp);
}

/** The object's events of the last hour or so, last at the bottom; nothing when they cannot be read. */
export async function printRecentEvents(client: Client, obj: AnyObject, limit = 20): Promise<void> {
  let items: Event[];
  try {
    // Events about cluster-wide objects (machines) are kept in the default namespace.
    items = (await client.events.in(obj.metadata.namespace ?? DEFAULT_NAMESPACE).listAll({ fieldSelector: eventsFor(obj.kind, obj.metadata.name) })).items;
  } catch {
    return; // no permission to read events, or an older server: describe shows what it has
  }
  // A namesake deleted and created again is another object: its events are not this one's.
  items = items.filter((e) => !e.spec.involvedObject.uid || e.spec.involvedObject.uid === obj.metadata.uid).sort(eventOrder).slice(-limit);
  console.log(bold('Events:'));
  if (items.length === 0) return void console.log('  <none>');
  const now = Date.now();
  printTable(
    ['  LAST SEEN', 'TYPE', 'REASON', 'COUNT', 'FROM', 'MESSAGE'],
    items.map((e) => [`  ${age(e.spec.lastTimestamp, now)}`, e.spec.type, e.spec.reason, String(e.spec.count), e.spec.source.component, oneLine(e.spec.message)]),
  );
}

function oneLine(s: string): string {
  return printable(s.replace(/\s*\n\s*/g, ' ').slice(0, 200));
}
