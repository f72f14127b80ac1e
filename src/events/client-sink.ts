// Events written through the API, as an agent writes them: create, else read and replace under
// If-Match (a concurrent bump is retried on the fresh object).
import type { Client, Event } from '../client/client.js';
import { EventBatch } from './event-batch.js';
import type { EventSink } from './recorder.js';

/** `machine`: the agent's, whose creates then go out together (see event-batch.ts); else one POST each. */
export function clientEventSink(client: Client, machine?: string): EventSink {
  const batch = machine === undefined ? undefined : new EventBatch(client, machine);
  return {
    async create(event) {
      if (batch) return batch.create(event);
      try {
        await client.events.in(event.metadata.namespace).create(event);
        return true;
      } catch (err) {
        if ((err as { code?: number }).code === 409) return false;
        throw err;
      }
    },
    async update(namespace, name, mutate) {
      const events = client.events.in(namespace);
      for (let attempt = 0; attempt < 5; attempt++) {
        let current: Event;
        try {
          current = await events.get(name);
        } catch (err) {
          // 403: the node authorizer answers for an event it cannot find in its cache as for one not its own.
          if ((err as { code?: number }).code === 404) return false;
          throw err;
        }
        try {
          await events.replace({ ...mutate(current), metadata: { name, namespace } }, { ifMatch: current.metadata.revision });
          return true;
        } catch (err) {
          const code = (err as { code?: number }).code;
          if (code === 404) return false;
          if (code !== 412 && code !== 409) throw err;
        }
      }
      throw new Error(`event "${name}" keeps changing; gave up counting one occurrence`);
    },
  };
}
