// The logger of a server or agent process: pino to stdout at the level asked for, and the same
// records (from info up, whatever that level) into a LogRing, so the component's recent log can
// be read through the API and put into a support bundle without access to the host.
import { pino, type Level, type Logger } from 'pino';
import { LogRing } from './log-ring.js';

const LEVELS: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export interface ComponentLogger {
  logger: Logger;
  ring: LogRing;
}

/** `level`: what goes to stdout ("silent": nothing); base: the fields of every record. */
export function componentLogger(level: string, base: Record<string, unknown>, ring = new LogRing()): ComponentLogger {
  const shown = LEVELS.includes(level as Level) ? (level as Level) : undefined;
  const kept: Level = shown && LEVELS.indexOf(shown) < LEVELS.indexOf('info') ? shown : 'info';
  const streams = pino.multistream([...(shown ? [{ level: shown, stream: pino.destination({ dest: 1, sync: true }) }] : []), { level: kept, stream: ring }]);
  return { logger: pino({ level: kept, base }, streams), ring };
}
