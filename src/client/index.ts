export * from './client.js';
export { ConnectionError, ServerTimeout } from './errors.js';
export type { WatchEvent, WatchEventType } from './watch.js';
export { ApiError } from '../errors.js';
export { warningTexts } from './warnings.js';
export { authorizationHeader, tlsDispatcher, type Credentials, type TlsOptions } from './transport.js';
