export * from './client.js';
export { ConnectionError } from './errors.js';
export type { WatchEvent, WatchEventType } from './watch.js';
export { ApiError } from '../errors.js';
export { warningTexts } from './warnings.js';
