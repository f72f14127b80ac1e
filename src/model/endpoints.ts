// Endpoints: where a service's tasks answer, written by the endpoints controller from the tasks'
// bound machines, allocated ports and Ready conditions. One object per service, same name and
// namespace; DNS, the agents' ingress listeners and the layer 7 proxy all read it (by watch).
import type { ApiObject } from './meta.js';

export interface EndpointAddress {
  /** The task's name. */
  task: string;
  machine: string;
  /** The machine's address (IP or hostname) as its agent reports it. */
  host: string;
  /** Port number by port name (the task's allocated ports). */
  ports: Record<string, number>;
  /** The task's Ready condition: only ready addresses get traffic or DNS answers. */
  ready: boolean;
}

export interface EndpointsStatus {
  /** Every live, placed task of the service, ready or not, ordered by task name. */
  addresses?: EndpointAddress[];
  /** The service's port names and protocols (from its template), for SRV records and proxies. */
  ports?: { name: string; protocol: 'tcp' | 'udp' }[];
  /** The service's stable ingress ports (copied from service.spec.ingress). */
  ingress?: ServiceIngressPort[];
}

export type Endpoints = ApiObject<Record<string, never>, EndpointsStatus>;

/**
 * A stable layer 4 port: every agent listens on `port` and forwards each TCP connection to a ready
 * endpoint's `targetPort` (a port name of the template; default its first), round-robin (kube-proxy's NodePort).
 */
export interface ServiceIngressPort {
  port: number;
  targetPort?: string;
}
