// Another API served over the same state (fleet's, Flocker's…): an encapsulated Fastify plugin
// (its own body parsers, error shape and routes) that reads and writes only through the registry.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from '../registry/index.js';

export interface FacadeOptions {
  registry: Registry;
  /** The namespace a façade's objects live in (default "default"): its API has none. */
  namespace?: string;
}

export interface Facade {
  /** For logs and configuration: "fleet", "flocker"… */
  name: string;
  plugin: FastifyPluginAsync<FacadeOptions>;
}

/**
 * Set on a socket a façade's own listener accepted on a non-loopback address: the main
 * listener's loopback guard (DNS rebinding) is about the main listener's address, not this one's.
 */
export const OFF_LOOPBACK_LISTENER = Symbol('accepted by a façade listener off loopback');

export function isOffLoopbackListener(socket: object): boolean {
  return (socket as { [OFF_LOOPBACK_LISTENER]?: boolean })[OFF_LOOPBACK_LISTENER] === true;
}
