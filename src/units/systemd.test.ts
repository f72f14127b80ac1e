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
