// The registry: the one door for every read and write (see registry.ts).
export { Registry, type RegistryOptions, type KindStats, type TaskSecrets } from './registry.js';
export { KindRegistry, checkUrlName, type Read, type WatchSource } from './kind-registry.js';
export { systemContext, type RequestContext } from './context.js';
export type { ListPage, ListRequest, PagePosition } from './list.js';
export type { Patch, PatchType } from './patch.js';
export type { Preconditions } from './preconditions.js';
export { kinds, internalKinds } from './kinds/index.js';
export { Credentials, tokenView, userView, type Token, type User, type TokenRequest } from './credentials.js';
export type { Kind } from './kinds/kind.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
