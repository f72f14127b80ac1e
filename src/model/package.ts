// Package: a named, versioned, parameterised service template (a catalog entry, as a Helm chart
// or a DC/OS Universe package). Installing one (an Installation) renders it into a Service; the
// catalog is every Package object: loaded from a directory at server start (the built-in
// catalog ships with drover) and created through the API.
import type { ApiObject } from './meta.js';
import type { Constraints, TaskTemplate } from './template.js';

/** A value an installation supplies ("--set port=6380"); "{{name}}" in the template stands for it. */
export interface PackageParameter {
  name: string;
  description?: string;
  /** Used when the installation gives none; no default and not given: the install is refused. */
  default?: string;
  /** A regular expression the value must match entirely (e.g. "[0-9]+"). */
  pattern?: string;
}

export interface PackageSpec {
  /** The package's name without its version ("redis"); objects are named NAME-VERSION. */
  package: string;
  /** Its version (dotted numbers compare numerically: 7.10 > 7.9). */
  version: string;
  description?: string;
  /** The data store it runs, as Replicante names stores ("redis", "etcd"): provisioning picks packages by it. */
  store?: string;
  parameters?: PackageParameter[];
  /**
   * The template of the Service an installation creates. "{{param}}" in command, args, env
   * values, workingDir, unit option values and volume paths is replaced by the value.
   */
  template: TaskTemplate;
  /** Placement of the Service (rendered like the template). */
  constraints?: Constraints;
  /** Executables the template needs on the machine (found in PATH): a machine without one fails the task with reason MissingBinary, naming it and the Debian package in `provides`. */
  requires?: string[];
  /** Where the executables come from, for the error message ("apt-get install redis-server"). */
  provides?: string;
  /** The parameter holding the port a node's agent endpoint listens on (Replicante's agent_address). */
  agentPort?: string;
}

export type Package = ApiObject<PackageSpec, Record<string, never>>;

/** The label on a Package loaded from the catalog directory (its file), so a reload replaces it and API-made ones are left alone. */
export const CATALOG_FILE_LABEL = 'drover.io/catalog-file';

/** Object name of a package version: NAME-VERSION with characters a name cannot hold made "-". */
export function packageObjectName(pkg: string, version: string): string {
  return `${pkg}-${version}`.toLowerCase().replace(/[^a-z0-9.-]/g, '-');
}
