// Network: how a cluster's hosts network their containers (Commissaire's network record). Kept
// as configuration; "default" (flannel_etcd, no options) exists from the start.
import type { ApiObject } from './meta.js';

export const NETWORK_TYPES = ['flannel_etcd', 'flannel_server'] as const;
export type NetworkType = (typeof NETWORK_TYPES)[number];

export interface NetworkSpec {
  /** Default flannel_etcd. */
  type?: NetworkType;
  /** Free options for the network type (flannel_server: {address: "host:port"}). */
  options?: Record<string, unknown>;
}

export type Network = ApiObject<NetworkSpec, Record<string, never>>;
