// Service: the lifecycle manager that keeps replicas (or one task per machine) of a template running.
import type { ServiceIngressPort } from './endpoints.js';
import type { ApiObject, Condition } from './meta.js';
import type { Constraints, TaskTemplate } from './template.js';

export type ServiceDesiredState = 'running' | 'loaded' | 'inactive';

export interface UpdateStrategy {
  maxUnavailable?: number | string;
  maxSurge?: number | string;
  minReadySeconds?: number;
  /**
   * A rollout whose new tasks are not all ready this long after it started stops making progress:
   * condition Progressing=False, reason ProgressDeadlineExceeded (Kubernetes' default 600).
   */
  progressDeadlineSeconds?: number;
}

export interface ServiceSpec {
  replicas?: number;
  global?: boolean;
  desiredState?: ServiceDesiredState;
  strategy?: 'spread' | 'binpack';
  template: TaskTemplate;
  constraints?: Constraints;
  update?: UpdateStrategy;
  /** Pause a rolling update. */
  paused?: boolean;
  /** Running one-off tasks to adopt as replicas. */
  adopt?: string[];
  /** Stable layer 4 ports every agent listens on, forwarding to ready tasks (unique across services). */
  ingress?: ServiceIngressPort[];
}

export interface ServiceStatus {
  observedGeneration?: number;
  desiredReplicas?: number;
  replicas?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
  state?: string;
  conditions?: Condition[];
}

export type Service = ApiObject<ServiceSpec, ServiceStatus>;

/** Labels every task of a service carries: its service, and the hash of the template it runs. */
export const SERVICE_LABEL = 'drover.io/service';
export const TEMPLATE_HASH_LABEL = 'drover.io/template-hash';
