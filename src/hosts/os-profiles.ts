// The commands a cluster operation runs on each host, per OS profile. Commissaire's choices
// (commissaire-service oscmd/ and its ansible playbooks): Atomic hosts upgrade and deploy with
// rpm-ostree, package-based ones upgrade with their package manager, and every OS restarts with
// systemctl reboot. Upgrade and deploy do not restart the host, as in Commissaire: the new tree or
// packages take effect at the next restart, which is a ClusterRestart of its own.
import type { ClusterOperationParams, ClusterOperationType, OsProfile } from '../model/index.js';

type ProfileCommands = Record<ClusterOperationType, string[][]>;

const REBOOT = [['systemctl', 'reboot']];

// apt-get asks questions unless told not to; env keeps the command an argument array.
const APT = ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get'];

const PROFILES: Record<OsProfile, ProfileCommands> = {
  'rpm-ostree': {
    ClusterUpgrade: [['rpm-ostree', 'upgrade']],
    ClusterDeploy: [['rpm-ostree', 'deploy', '{version}']],
    ClusterRestart: REBOOT,
  },
  // A package-based host "deploys a version" by moving to that release of its distribution.
  dnf: {
    ClusterUpgrade: [['dnf', '-y', 'upgrade']],
    ClusterDeploy: [['dnf', '-y', 'distro-sync', '--releasever={version}']],
    ClusterRestart: REBOOT,
  },
  yum: {
    ClusterUpgrade: [['yum', '-y', 'update']],
    ClusterDeploy: [['yum', '-y', 'distro-sync', '--releasever={version}']],
    ClusterRestart: REBOOT,
  },
  // apt's version of a distribution is a target release (bookworm, stable…).
  'apt-get': {
    ClusterUpgrade: [
      [...APT, 'update'],
      [...APT, '-y', 'upgrade'],
    ],
    ClusterDeploy: [
      [...APT, 'update'],
      [...APT, '-y', '--allow-downgrades', '-t', '{version}', 'dist-upgrade'],
    ],
    ClusterRestart: REBOOT,
  },
};

/** The commands one host runs for the operation: params.commands, else the profile's; "{version}" substituted. */
export function hostCommands(type: ClusterOperationType, params: ClusterOperationParams): string[][] {
  const commands = params.commands ?? PROFILES[params.profile ?? 'rpm-ostree'][type];
  return commands.map((argv) => argv.map((arg) => arg.replaceAll('{version}', params.version ?? '')));
}
