import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostCommands } from './os-profiles.js';

describe('hostCommands', () => {
  it('picks the profile\'s commands, rpm-ostree by default, with the version substituted', () => {
    for (const [type, params, want] of [
      ['ClusterUpgrade', {}, [['rpm-ostree', 'upgrade']]],
      ['ClusterDeploy', { version: '7.2.6' }, [['rpm-ostree', 'deploy', '7.2.6']]],
      ['ClusterRestart', { profile: 'dnf' }, [['systemctl', 'reboot']]],
      ['ClusterUpgrade', { profile: 'yum' }, [['yum', '-y', 'update']]],
      ['ClusterDeploy', { profile: 'dnf', version: '40' }, [['dnf', '-y', 'distro-sync', '--releasever=40']]],
      ['ClusterUpgrade', { profile: 'apt-get' }, [['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'], ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', '-y', 'upgrade']]],
    ] as const) {
      assert.deepEqual(hostCommands(type, params), want, `${type} ${JSON.stringify(params)}`);
    }
  });

  it('params.commands replaces the profile, "{version}" substituted in every argument', () => {
    assert.deepEqual(hostCommands('ClusterDeploy', { profile: 'dnf', version: '9', commands: [['echo', 'v{version}', '{version}']] }), [['echo', 'v9', '9']]);
  });
});
