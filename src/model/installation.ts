// Installation: a Package installed in a namespace with its values. Its controller renders the
// package's template with the values into a Service named after the installation and owned by it
// (controller ownerReference); changing version or values is an upgrade (the Service's template
// changes, so a rolling update), deleting the installation deletes the Service.
import type { ApiObject, Condition } from './meta.js';
import type { Constraints } from './template.js';

export interface InstallationSpec {
  /** The package's name ("redis"). */
  package: string;
  /** The version; absent: the newest in the catalog when installed (then recorded in status.version; upgrades never happen by themselves). */
  version?: string;
  /** Parameter values. */
  values?: Record<string, string>;
  /** Replicas of the Service (default 1). */
  replicas?: number;
  /** Placement added to the package's own (a machine pin for a provisioned node). */
  constraints?: Constraints;
  /** Labels put on the Service (and so on its tasks). */
  labels?: Record<string, string>;
}

export const INSTALLATION_PHASES = ['Pending', 'Installed', 'Failed'] as const;
export type InstallationPhase = (typeof INSTALLATION_PHASES)[number];

export interface InstallationStatus {
  phase?: InstallationPhase;
  /** The version rendered into the Service. */
  version?: string;
  /** The Service it created. */
  service?: string;
  observedGeneration?: number;
  /** Why it is Failed: unknown package or version, a missing or invalid value. */
  message?: string;
  conditions?: Condition[];
}

export type Installation = ApiObject<InstallationSpec, InstallationStatus>;

/** The label on the Service (and its tasks) of an installation: the installation's name. */
export const INSTALLATION_LABEL = 'drover.io/installation';
