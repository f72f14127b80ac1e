// Ingress: layer 7 rules (host and path → a service's port), served by drover's HTTP proxy.
import type { ApiObject } from './meta.js';

export interface IngressRule {
  /** Exact Host header to match (port ignored); none: any host. */
  host?: string;
  /** Path prefix, matched on whole segments ("/api" matches "/api" and "/api/x", not "/apix"); default "/". */
  path?: string;
  /** The service (same namespace) whose ready endpoints get the request. */
  service: string;
  /** A port name of the service's template (default: its first port). */
  port?: string;
}

export interface IngressSpec {
  rules: IngressRule[];
}

export interface IngressStatus {
  /** Where the proxy serves it ("http://host:port"), once a proxy does. */
  addresses?: string[];
}

export type Ingress = ApiObject<IngressSpec, IngressStatus>;
