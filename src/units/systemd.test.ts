import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UnitOption } from '../model/index.js';
import { UnitFileError } from './errors.js';
import { parseUnitFile } from './parse.js';
import { interpretService, isValidSystemdUnitName, parseSystemdBoolean, type ServiceUnit } from './systemd.js';

const service = (body: string, unitName = 'test.service', hostname = 'node1'): ServiceUnit =>
  interpretService(parseUnitFile(body), { unitName, specifiers: { hostname, machineId: 'f'.repeat(32), bootId: 'b'.repeat(32) } });

describe('interpretService', () => {
  it('reads a typical fleet unit (a docker service with a sidekick relation)', () => {
    const unit = service(
      `[Unit]
Description=Web %i
After=docker.service
Requires=docker.service
BindsTo=db@%i.service
Wants=log.service

[Service]
TimeoutStartSec=0
EnvironmentFile=-/etc/environment
Environment="PORT=80" GREETING=hello
ExecStartPre=-/usr/bin/docker kill web%i
ExecStartPre=-/usr/bin/docker rm web%i
ExecStart=/usr/bin/docker run --name web%i -p \${PORT}:80 nginx
ExecStop=/usr/bin/docker stop web%i
Restart=always
RestartSec=5s

[X-Fleet]
Conflicts=web@*.service
`,
      'web@1.service',
    );
    assert.equal(unit.description, 'Web 1');
    assert.equal(unit.type, 'simple');
    assert.deepEqual(unit.execStartPre.map((c) => [c.path, c.argv, c.ignoreFailure]), [
      ['/usr/bin/docker', ['/usr/bin/docker', 'kill', 'web1'], true],
      ['/usr/bin/docker', ['/usr/bin/docker', 'rm', 'web1'], true],
    ]);
    assert.deepEqual(unit.execStart.map((c) => c.argv), [['/usr/bin/docker', 'run', '--name', 'web1', '-p', '${PORT}:80', 'nginx']]);
    assert.deepEqual(unit.execStop.map((c) => c.argv), [['/usr/bin/docker', 'stop', 'web1']]);
    assert.deepEqual(unit.environment, { PORT: '80', GREETING: 'hello' });
    assert.deepEqual(unit.environmentFiles, [{ path: '/etc/environment', ignoreMissing: true }]);
    assert.equal(unit.restart, 'always');
    assert.equal(unit.restartSecMs, 5000);
    assert.equal(unit.timeoutStartMs, Infinity);
    assert.equal(unit.timeoutStopMs, 90_000);
    assert.deepEqual(unit.dependencies, {
      after: ['docker.service'],
      before: [],
      requires: ['docker.service'],
      requisite: [],
      wants: ['log.service'],
      bindsTo: ['db@1.service'],
      partOf: [],
      conflicts: [],
    });
    assert.deepEqual(unit.warnings, []);
  });

  it('applies systemd defaults', () => {
    const unit = service('[Service]\nExecStart=/bin/sleep 10\n');
    assert.deepEqual(
      { ...unit, execStart: unit.execStart.length },
      {
        description: undefined,
        type: 'simple',
        systemdType: 'simple',
        execStartPre: [],
        execStart: 1,
        execStartPost: [],
        execReload: [],
        execStop: [],
        execStopPost: [],
        environment: {},
        environmentFiles: [],
        workingDirectory: undefined,
        user: undefined,
        group: undefined,
        restart: 'no',
        restartSecMs: 100,
        startLimitIntervalMs: 10_000,
        startLimitBurst: 5,
        timeoutStartMs: 90_000,
        timeoutStopMs: 90_000,
        remainAfterExit: false,
        pidFile: undefined,
        killMode: 'control-group',
        killSignal: 'SIGTERM',
        dependencies: { after: [], before: [], requires: [], requisite: [], wants: [], bindsTo: [], partOf: [], conflicts: [] },
        warnings: [],
      },
    );
  });

  it('joins continuation lines the way systemd reads the file fleet writes', () => {
    const unit = service('[Service]\nExecStart=/bin/echo \\\n  "pi\\\n  ng" \\\n  done\n');
    assert.deepEqual(unit.execStart[0]!.argv, ['/bin/echo', 'pi   ng', 'done']);
  });

  it('takes several ExecStart= for a oneshot service, on separate lines or split by ";"', () => {
    const unit = service('[Service]\nType=oneshot\nExecStart=/bin/echo one ; /bin/echo two\nExecStart=/bin/echo three\nRemainAfterExit=yes\n');
    assert.deepEqual(unit.execStart.map((c) => c.argv[1]), ['one', 'two', 'three']);
    assert.equal(unit.type, 'oneshot');
    assert.equal(unit.timeoutStartMs, Infinity);
    assert.equal(unit.remainAfterExit, true);
  });

  it('resets a list with an empty assignment', () => {
    const unit = service('[Service]\nExecStart=/bin/a\nExecStart=\nExecStart=/bin/b\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\nEnvironmentFile=/x\nEnvironmentFile=\nExecStop=/bin/s\nExecStop=\n');
    assert.deepEqual(unit.execStart.map((c) => c.path), ['/bin/b']);
    assert.deepEqual(unit.environment, { B: '2' });
    assert.deepEqual(unit.environmentFiles, []);
    assert.deepEqual(unit.execStop, []);
  });

  it('defaults to oneshot when there is no ExecStart=, and to dbus with BusName=', () => {
    assert.equal(service('[Service]\nExecStop=/bin/true\nRemainAfterExit=yes\n').type, 'oneshot');
    const dbus = service('[Service]\nBusName=org.example.X\nExecStart=/bin/x\n');
    assert.equal(dbus.systemdType, 'dbus');
    assert.equal(dbus.type, 'simple');
  });

  const types: Array<[string, string, string]> = [
    ['simple', 'simple', 'simple'],
    ['exec', 'simple', 'exec'],
    ['forking', 'forking', 'forking'],
    ['notify', 'simple', 'notify'],
    ['idle', 'simple', 'idle'],
  ];
  for (const [declared, type, systemdType] of types) {
    it(`runs Type=${declared} as ${type}`, () => {
      const unit = service(`[Service]\nType=${declared}\nExecStart=/bin/x\n`);
      assert.equal(unit.type, type);
      assert.equal(unit.systemdType, systemdType);
    });
  }

  it('reads time spans, "0" meaning no timeout, and TimeoutSec= setting both', () => {
    const unit = service('[Service]\nExecStart=/bin/x\nRestartSec=1min 30s\nTimeoutSec=20\nTimeoutStopSec=0\n');
    assert.equal(unit.restartSecMs, 90_000);
    assert.equal(unit.timeoutStartMs, 20_000);
    assert.equal(unit.timeoutStopMs, Infinity);
    assert.equal(service('[Service]\nExecStart=/bin/x\nRestartSec=500ms\nTimeoutStartSec=infinity\n').restartSecMs, 500);
    const limited = service('[Unit]\nStartLimitIntervalSec=1min\nStartLimitBurst=3\n[Service]\nExecStart=/bin/x\n');
    assert.deepEqual([limited.startLimitIntervalMs, limited.startLimitBurst], [60_000, 3]);
    const legacy = service('[Service]\nExecStart=/bin/x\nStartLimitInterval=0\nStartLimitBurst=10\n');
    assert.deepEqual([legacy.startLimitIntervalMs, legacy.startLimitBurst], [0, 10], 'the pre-230 names in [Service], 0 for no limit');
    assert.equal(service('[Unit]\nStartLimitIntervalSec=infinity\n[Service]\nExecStart=/bin/x\n').startLimitIntervalMs, 0);
  });

  for (const mode of ['no', 'always', 'on-success', 'on-failure', 'on-abnormal', 'on-abort', 'on-watchdog']) {
    it(`reads Restart=${mode}`, () => assert.equal(service(`[Service]\nExecStart=/bin/x\nRestart=${mode}\n`).restart, mode));
  }

  it('reads WorkingDirectory= forms', () => {
    assert.deepEqual(service('[Service]\nExecStart=/bin/x\nWorkingDirectory=/srv//app/\n').workingDirectory, { path: '/srv/app', ignoreMissing: false, home: false });
    assert.deepEqual(service('[Service]\nExecStart=/bin/x\nWorkingDirectory=-/srv/%i\n', 'a@7.service').workingDirectory, { path: '/srv/7', ignoreMissing: true, home: false });
    assert.deepEqual(service('[Service]\nExecStart=/bin/x\nWorkingDirectory=~\n').workingDirectory, { home: true, ignoreMissing: false });
    assert.equal(service('[Service]\nExecStart=/bin/x\nWorkingDirectory=/a\nWorkingDirectory=\n').workingDirectory, undefined);
  });

  it('reads User=, Group=, PIDFile=, KillMode=, KillSignal=', () => {
    const unit = service('[Service]\nType=forking\nExecStart=/bin/x\nUser=www-data\nGroup=1000\nPIDFile=x.pid\nKillMode=mixed\nKillSignal=INT\n');
    assert.equal(unit.user, 'www-data');
    assert.equal(unit.group, '1000');
    assert.equal(unit.pidFile, '/run/x.pid');
    assert.equal(unit.killMode, 'mixed');
    assert.equal(unit.killSignal, 'SIGINT');
    assert.equal(service('[Service]\nExecStart=/bin/x\nKillSignal=9\nPIDFile=/var/run/d.pid\n').killSignal, 'SIGKILL');
    assert.equal(service('[Service]\nExecStart=/bin/x\nPIDFile=/var/run/d.pid\n').pidFile, '/run/d.pid');
  });

  it('reads dependency lists: repeatable, blank-separated, deduplicated, templates resolved to this instance', () => {
    const unit = service('[Unit]\nAfter=a.service b.service\nAfter=a.service\nBefore=c.target\nPartOf=p.service\nConflicts=x.service\nRequisite=r.service\nBindsTo=db@.service\n[Service]\nExecStart=/bin/x\n', 'web@3.service');
    assert.deepEqual(unit.dependencies.after, ['a.service', 'b.service']);
    assert.deepEqual(unit.dependencies.before, ['c.target']);
    assert.deepEqual(unit.dependencies.partOf, ['p.service']);
    assert.deepEqual(unit.dependencies.conflicts, ['x.service']);
    assert.deepEqual(unit.dependencies.requisite, ['r.service']);
    assert.deepEqual(unit.dependencies.bindsTo, ['db@3.service']);
  });

  // One setting at a time, as interpretService reads it today: [title, unit file, the fields expected].
  const reads: Array<[title: string, body: string, expected: Partial<ServiceUnit>]> = [
    ['an empty Description= as no description', '[Unit]\nDescription=a\nDescription=\n[Service]\nExecStart=/bin/x\n', { description: undefined }],
    ['TimeoutStartSec= without touching the stop timeout', '[Service]\nExecStart=/bin/x\nTimeoutStartSec=30s\n', { timeoutStartMs: 30_000, timeoutStopMs: 90_000 }],
    ['TimeoutStopSec= without touching the start timeout', '[Service]\nExecStart=/bin/x\nTimeoutStopSec=10\n', { timeoutStartMs: 90_000, timeoutStopMs: 10_000 }],
    ['a oneshot\'s TimeoutStartSec= instead of waiting forever', '[Service]\nType=oneshot\nExecStart=/bin/x\nTimeoutStartSec=5\n', { timeoutStartMs: 5_000 }],
    ['a oneshot\'s TimeoutSec= instead of waiting forever', '[Service]\nType=oneshot\nExecStart=/bin/x\nTimeoutSec=7\n', { timeoutStartMs: 7_000, timeoutStopMs: 7_000 }],
    ['RemainAfterExit= in any systemd spelling', '[Service]\nExecStart=/bin/x\nRemainAfterExit=ON\n', { remainAfterExit: true }],
    ['RemainAfterExit=no after yes', '[Service]\nExecStart=/bin/x\nRemainAfterExit=yes\nRemainAfterExit=0\n', { remainAfterExit: false }],
    ['EnvironmentFile= in order, specifiers resolved and paths simplified', '[Service]\nExecStart=/bin/x\nEnvironmentFile=/a//b/./c\nEnvironmentFile=-/srv/%i.env\n', {
      environmentFiles: [{ path: '/a/b/c', ignoreMissing: false }, { path: '/srv/3.env', ignoreMissing: true }],
    }],
    ['Environment= assignments, a later one overriding', '[Service]\nExecStart=/bin/x\nEnvironment=A=1 B=%i\nEnvironment=A=2\n', { environment: { A: '2', B: '3' } }],
    ['WorkingDirectory=-~ as the home directory, missing allowed', '[Service]\nExecStart=/bin/x\nWorkingDirectory=-~\n', { workingDirectory: { home: true, ignoreMissing: true } }],
    ['User= and Group= with specifiers', '[Service]\nExecStart=/bin/x\nUser=u%i\nGroup=%p\n', { user: 'u3', group: 'web' }],
    ['an empty User= and Group= as none', '[Service]\nExecStart=/bin/x\nUser=a\nUser=\nGroup=b\nGroup=\n', { user: undefined, group: undefined }],
    ['an empty PIDFile= as none', '[Service]\nExecStart=/bin/x\nPIDFile=/run/a.pid\nPIDFile=\n', { pidFile: undefined }],
    ['PIDFile= with specifiers', '[Service]\nType=forking\nExecStart=/bin/x\nPIDFile=/run/%i.pid\n', { pidFile: '/run/3.pid' }],
    ['KillSignal= by full name and by number', '[Service]\nExecStart=/bin/x\nKillSignal=SIGHUP\nKillSignal=15\n', { killSignal: 'SIGTERM' }],
    ['every KillMode=', '[Service]\nExecStart=/bin/x\nKillMode=process\nKillMode=none\n', { killMode: 'none' }],
    ['Requires= and Wants= with specifiers', '[Unit]\nRequires=r@%i.service\nWants=%p-log.service\n[Service]\nExecStart=/bin/x\n', {
      dependencies: { after: [], before: [], requires: ['r@3.service'], requisite: [], wants: ['web-log.service'], bindsTo: [], partOf: [], conflicts: [] },
    }],
    ['Documentation=, X- settings and any [Install] setting, silently', '[Unit]\nDocumentation=man:x(1)\nX-Note=1\n[Service]\nExecStart=/bin/x\nX-Thing=y\n[Install]\nWantedBy=multi-user.target\nWhatever=1\n', { warnings: [] }],
  ];
  for (const [title, body, expected] of reads) {
    it(`reads ${title}`, () => {
      const unit = service(body, 'web@3.service');
      const fields = Object.fromEntries(Object.keys(expected).map((k) => [k, unit[k as keyof ServiceUnit]]));
      assert.deepEqual(fields, expected);
    });
  }

  it('reads ExecStartPost=, ExecReload= and ExecStopPost= into their own lists, an empty one resetting', () => {
    const unit = service('[Service]\nExecStart=/bin/x\nExecStartPost=/bin/post\nExecReload=/bin/kill -HUP $MAINPID\nExecStopPost=/bin/a\nExecStopPost=\nExecStopPost=/bin/b\n');
    assert.deepEqual(unit.execStartPost.map((c) => c.argv), [['/bin/post']]);
    assert.deepEqual(unit.execReload.map((c) => c.argv), [['/bin/kill', '-HUP', '$MAINPID']]);
    assert.deepEqual(unit.execStopPost.map((c) => c.argv), [['/bin/b']]);
  });

  it('warns that Type=notify and Type=dbus run as Type=simple, after the settings\' own warnings', () => {
    const notify = service('[Service]\nType=notify\nExecStart=/bin/x\nRestart=bogus\n');
    assert.deepEqual(notify.warnings.map((w) => [w.line, w.section, w.name]), [[4, 'Service', 'Restart'], [undefined, 'Service', 'Type']]);
    assert.match(notify.warnings[1]!.message, /^Type=notify runs as Type=simple: drover considers the service started once its process is running$/);
    assert.match(service('[Service]\nBusName=a.b\nExecStart=/bin/x\n').warnings[0]!.message, /^Type=dbus runs as Type=simple/);
  });

  // More of what systemd logs and ignores: the setting keeps its previous value.
  const noDependencies = { after: [], before: [], requires: [], requisite: [], wants: [], bindsTo: [], partOf: [], conflicts: [] };
  const ignoredKeeping: Array<[title: string, section: string, lines: string, message: RegExp, field: keyof ServiceUnit, value: unknown]> = [
    ['an unknown specifier in Description=', 'Unit', 'Description=ok\nDescription=%z', /unknown specifier "%z".*; ignoring$/, 'description', 'ok'],
    ['an invalid dependency name', 'Unit', 'After=x.bogus', /^not a valid unit name, ignoring the dependency: "x.bogus"$/, 'dependencies', noDependencies],
    ['a bad TimeoutSec=', 'Service', 'TimeoutSec=x', /not a time span: "x", ignoring \(write "90", "90s", "2min", or "infinity"\)/, 'timeoutStartMs', 90_000],
    ['an EnvironmentFile= with ".."', 'Service', 'EnvironmentFile=/a/../b', /^path is not normalized, ignoring: "\/a\/..\/b"$/, 'environmentFiles', []],
    ['an unknown specifier in EnvironmentFile=', 'Service', 'EnvironmentFile=/%z', /unknown specifier "%z".*; ignoring$/, 'environmentFiles', []],
    ['an unknown specifier in WorkingDirectory= with "-"', 'Service', 'WorkingDirectory=-/%z', /unknown specifier "%z".*; ignoring$/, 'workingDirectory', undefined],
    ['a WorkingDirectory= with ".." and "-"', 'Service', 'WorkingDirectory=-/tmp/../x', /^path is not normalized, ignoring: "\/tmp\/..\/x"$/, 'workingDirectory', undefined],
    ['a PIDFile= with ".."', 'Service', 'PIDFile=a/../../b', /^path is not normalized, ignoring: "a\/..\/..\/b"$/, 'pidFile', undefined],
    ['an unknown specifier in PIDFile=', 'Service', 'PIDFile=%z', /unknown specifier "%z".*; ignoring$/, 'pidFile', undefined],
    ['a KillSignal= number out of range', 'Service', 'KillSignal=99', /^unknown signal "99", ignoring/, 'killSignal', 'SIGTERM'],
    ['a [Unit] setting in [Service]', 'Service', 'Description=d', /^Description= is not supported by drover's unit driver; ignoring it$/, 'description', undefined],
    ['a dependency in [Service]', 'Service', 'After=a.service', /^After= is not supported by drover's unit driver; ignoring it$/, 'dependencies', noDependencies],
    ['a [Service] setting in [Unit]', 'Unit', 'Restart=always', /^Restart= is not supported by drover's unit driver; ignoring it$/, 'restart', 'no'],
  ];
  for (const [title, section, lines, message, field, value] of ignoredKeeping) {
    it(`ignores ${title} with a warning, keeping the previous value`, () => {
      const rest = section === 'Service' ? 'ExecStart=/bin/true\n' : '[Service]\nExecStart=/bin/true\n';
      const unit = service(`[${section}]\n${lines}\n${rest}`);
      assert.equal(unit.warnings.length, 1, JSON.stringify(unit.warnings));
      assert.match(unit.warnings[0]!.message, message);
      assert.equal(unit.warnings[0]!.line, 1 + lines.split('\n').length);
      assert.equal(unit.warnings[0]!.section, section);
      assert.deepEqual(unit[field], value);
    });
  }

  // What systemd 252 logs and ignores (checked with systemd-analyze verify): the unit still loads.
  const ignored: Array<[title: string, line: string, message: RegExp]> = [
    ['an unknown Restart=', 'Restart=bogus', /unknown restart mode "bogus"/],
    ['a case-mismatched Restart=', 'Restart=On-Failure', /unknown restart mode/],
    ['a bad RestartSec=', 'RestartSec=abc', /not a time span: "abc"/],
    ['an empty RestartSec=', 'RestartSec=', /not a time span: ""/],
    ['a negative RestartSec=', 'RestartSec=-1', /not a time span/],
    ['a bad TimeoutStopSec=', 'TimeoutStopSec=x', /not a time span/],
    ['a bad RemainAfterExit=', 'RemainAfterExit=maybe', /not a boolean/],
    ['an unknown Type=', 'Type=bogus', /unknown service type/],
    ['a relative EnvironmentFile=', 'EnvironmentFile=rel', /not absolute/],
    ['an invalid Environment= name', 'Environment=1A=x', /invalid environment assignment/],
    ['unbalanced quotes in Environment=', 'Environment="A=x', /invalid syntax/],
    ['an unknown specifier in Environment=', 'Environment=A=%z', /unknown specifier "%z"/],
    ['a relative WorkingDirectory= with "-"', 'WorkingDirectory=-rel', /not absolute/],
    ['an unknown KillMode=', 'KillMode=bogus', /unknown kill mode/],
    ['an unknown KillSignal=', 'KillSignal=NOPE', /unknown signal/],
    ['an unsupported setting', 'LimitNOFILE=5', /LimitNOFILE= is not supported by drover/],
    ['a dropped "-" command', 'ExecStartPost=-/bin/echo "x', /unbalanced quoting, ignoring/],
  ];
  for (const [title, line, message] of ignored) {
    it(`ignores ${title} with a warning, as systemd does`, () => {
      const unit = service(`[Service]\nExecStart=/bin/true\n${line}\n`);
      assert.equal(unit.warnings.length, 1, JSON.stringify(unit.warnings));
      assert.match(unit.warnings[0]!.message, message);
      assert.equal(unit.warnings[0]!.line, 3);
    });
  }

  it('ignores invalid dependency names and unknown sections, but not [X-Fleet] or [Install]', () => {
    const unit = service('[Unit]\nAfter=ok.service "b c.service" %z.service\n[Service]\nExecStart=/bin/true\n[Bogus]\nA=1\n[X-Fleet]\nGlobal=true\n[Install]\nWantedBy=multi-user.target\n');
    assert.deepEqual(unit.dependencies.after, ['ok.service']);
    assert.equal(unit.warnings.length, 4, JSON.stringify(unit.warnings));
    assert.ok(unit.warnings.some((w) => /unknown section \[Bogus\]/.test(w.message)));
  });

  // What systemd 252 refuses to load (checked with systemd-analyze verify).
  const refused: Array<[title: string, body: string, message: RegExp, loadState?: string]> = [
    ['a service with no ExecStart= that is not oneshot', '[Service]\nType=simple\nRemainAfterExit=yes\nExecStop=/bin/true\n', /^service has no ExecStart= setting, which is only allowed for Type=oneshot services/],
    ['a service with nothing to run', '[Service]\nExecStart=\n', /^service has no ExecStart= setting/],
    ['a oneshot with only ExecStop= and no RemainAfterExit=yes', '[Service]\nExecStop=/bin/true\n', /^service has no ExecStart= setting and does not have RemainAfterExit=yes set/],
    ['two ExecStart= for a simple service', '[Service]\nExecStart=/bin/true\nExecStart=/bin/false\n', /more than one ExecStart=/],
    ['two commands on one ExecStart= for a simple service', '[Service]\nExecStart=/bin/true ; /bin/false\n', /more than one ExecStart=/],
    ['Restart=always for a oneshot', '[Service]\nType=oneshot\nRestart=always\nExecStart=/bin/true\n', /Restart=always, which is not allowed for Type=oneshot/],
    ['Type=dbus without BusName=', '[Service]\nType=dbus\nExecStart=/bin/true\n', /Type=dbus but has no BusName=/],
    ['unbalanced quoting in an argument', '[Service]\nExecStart=/bin/echo "a b\n', /line 2: ExecStart=.*unbalanced quoting/],
    ['a relative executable path', '[Service]\nExecStart=bin/echo x\n', /neither a valid executable name nor an absolute path/],
    ['a bad ExecStop= command', '[Service]\nExecStart=/bin/true\nExecStop=bin/x\n', /line 3: ExecStop=/],
    ['an unknown specifier in ExecStart=', '[Service]\nExecStart=/bin/echo %z\n', /unknown specifier "%z"/],
    ['a relative WorkingDirectory=', '[Service]\nWorkingDirectory=rel\nExecStart=/bin/true\n', /WorkingDirectory=rel: path is not absolute/],
    ['a WorkingDirectory= with ".."', '[Service]\nWorkingDirectory=/tmp/../x\nExecStart=/bin/true\n', /not normalized/],
    ['an invalid User=', '[Service]\nUser=a:b\nExecStart=/bin/true\n', /invalid user or group name/],
    ['an unknown specifier in User=', '[Service]\nUser=%z\nExecStart=/bin/true\n', /unknown specifier/],
  ];
  for (const [title, body, message] of refused) {
    it(`refuses ${title}`, () => {
      assert.throws(() => service(body), (err: unknown) => err instanceof UnitFileError && message.test(err.message) && err.loadState === 'bad-setting');
    });
  }

  const refusedMore: Array<[title: string, body: string, message: RegExp]> = [
    ['Restart=on-success for a oneshot', '[Service]\nType=oneshot\nRestart=on-success\nExecStart=/bin/true\n', /^service has Restart=on-success, which is not allowed for Type=oneshot services: use on-failure or no$/],
    ['Type=dbus whose BusName= was reset', '[Service]\nType=dbus\nBusName=a.b\nBusName=\nExecStart=/bin/true\n', /Type=dbus but has no BusName=/],
    ['an unknown specifier in WorkingDirectory=', '[Service]\nWorkingDirectory=/%z\nExecStart=/bin/true\n', /^line 2: WorkingDirectory=\/%z: .*unknown specifier "%z"/],
    ['an invalid Group=', '[Service]\nGroup=a/b\nExecStart=/bin/true\n', /^line 2: Group=a\/b: invalid user or group name or numeric ID: "a\/b"$/],
    ['a User= that resolves to nothing valid', '[Service]\nUser=..\nExecStart=/bin/true\n', /invalid user or group name or numeric ID: "\.\."/],
    ['a bad ExecStartPre= command', '[Service]\nExecStartPre=/bin/echo "x\nExecStart=/bin/true\n', /^line 2: ExecStartPre=\/bin\/echo "x: /],
  ];
  for (const [title, body, message] of refusedMore) {
    it(`refuses ${title}`, () => {
      assert.throws(() => service(body), (err: unknown) => err instanceof UnitFileError && message.test(err.message) && err.loadState === 'bad-setting');
    });
  }

  it('names the line and setting of a refused setting, and only the section of a refused service', () => {
    assert.throws(() => service('[Service]\nExecStart=/bin/true\nUser=a:b\n'), (err: unknown) =>
      err instanceof UnitFileError && err.line === 3 && err.section === 'Service' && err.option === 'User');
    assert.throws(() => service('[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n'), (err: unknown) =>
      err instanceof UnitFileError && err.line === undefined && err.section === 'Service' && err.option === undefined);
  });

  it('refuses an invalid section header with LoadState=error', () => {
    // fleet's API accepts a section name with a newline; the file it writes has a broken header
    const options: UnitOption[] = [{ section: 'Service\nx', name: 'ExecStart', value: '/bin/true' }];
    assert.throws(() => interpretService(options), (err: unknown) => err instanceof UnitFileError && err.loadState === 'error' && /invalid section header/.test(err.message));
  });

  it('resolves host specifiers from the context, and fails without them', () => {
    assert.deepEqual(service('[Service]\nExecStart=/bin/echo %H %m\n').execStart[0]!.argv, ['/bin/echo', 'node1', 'f'.repeat(32)]);
    assert.throws(() => interpretService(parseUnitFile('[Service]\nExecStart=/bin/echo %H\n'), { unitName: 'a.service' }), /cannot resolve specifier "%H"/);
  });

  it('runs only service units, and never templates', () => {
    assert.throws(() => interpretService([], { unitName: 'x.timer' }), /not a service unit/);
    assert.throws(() => interpretService([], { unitName: 'x@.service' }), /is a template: run an instance of it, such as "x@1.service"/);
  });
});

describe('parseSystemdBoolean', () => {
  it('accepts systemd spellings in any case', () => {
    assert.deepEqual(['1', 'yes', 'Y', 'true', 't', 'ON'].map(parseSystemdBoolean), [true, true, true, true, true, true]);
    assert.deepEqual(['0', 'no', 'n', 'FALSE', 'f', 'off'].map(parseSystemdBoolean), [false, false, false, false, false, false]);
    assert.equal(parseSystemdBoolean('maybe'), undefined);
  });
});

describe('isValidSystemdUnitName', () => {
  const cases: Array<[string, boolean]> = [
    ['a.service', true], ['a@1.service', true], ['a@b@c.service', true], ['multi-user.target', true], ['a\\x2db.mount', true],
    ['a@.service', false], ['@a.service', false], ['a.bogus', false], ['"b', false], ['a b.service', false], ['a', false],
  ];
  for (const [name, ok] of cases) it(`${ok ? 'accepts' : 'rejects'} ${JSON.stringify(name)}`, () => assert.equal(isValidSystemdUnitName(name), ok));
});
