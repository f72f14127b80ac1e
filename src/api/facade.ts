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
