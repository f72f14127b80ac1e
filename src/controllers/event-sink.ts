// Events written straight to the state, as the server's controllers write them.
import { AlreadyExists, NotFound } from '../errors.js';
import { keyIn, type Event } from '../model/index.js';
import type { State } from '../state/state.js';
import { EventRecorder, type EventSink } from '../events/recorder.js';
import type { Logger } from 'pino';

export function stateEventSink(state: State): EventSink {
  const events = () => state.resources<Event>('events');
  return {
    async create(event) {
      try {
        await events().create(event);
        return true;
      } catch (err) {
        if (err instanceof AlreadyExists) return false;
        throw err;
      }
    },
    async update(namespace, name, mutate) {
      try {
        await events().update(keyIn(namespace, name), mutate);
        return true;
      } catch (err) {
        if (err instanceof NotFound) return false;
        throw err;
      }
    },
  };
}

/** The recorder of a server component (`component`: "workloads", "scheduler"…). */
export function serverEventRecorder(state: State, component: string, log: Logger): EventRecorder {
  return new EventRecorder({ sink: stateEventSink(state), source: { component }, onError: (err, what) => log.warn({ err: String(err) }, `recording event ${what} failed`) });
}
