import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Constraints, UnitOption } from '../model/index.js';
import { UnitFileError } from './errors.js';
import { unitHash } from './hash.js';
import { parseUnitFile } from './parse.js';
import { fleetConstraints, fleetDescription, fleetMachineMatches, fleetOptionsProblem, instantiate, parseMultivalueLine } from './xfleet.js';

const x = (name: string, value: string): UnitOption => ({ section: 'X-Fleet', name, value });
const o = (section: string, name: string, value: string): UnitOption => ({ section, name, value });

describe('parseMultivalueLine', () => {
  // fleet's unit/unit_test.go TestParseMultivalueLine, quirks included
  const cases: Array<[string, string[]]> = [
    ['"bar" "ping" "pong"', ['bar', 'ping', 'pong']],
    ['"bar"', ['bar']],
    ['', ['']],
    ['""', ['']],
    ['"bar', ['"bar']],
    ['bar"', ['bar"']],
    ['foo\\"bar', ['foo\\"bar']],
    ['"bar" "', ['bar', '']],
    ['"foo\\"bar"', ['foo\\bar']],
    ['"a b" "c"', ['a b', 'c']],
    ['"a"  "b"', ['a', '', 'b']],
  ];
  for (const [line, want] of cases) it(`splits ${JSON.stringify(line)} as fleet does`, () => assert.deepEqual(parseMultivalueLine(line), want));
});

describe('fleetConstraints', () => {
  const cases: Array<[title: string, options: UnitOption[], unit: string, want: { constraints: Constraints; global?: boolean; replaces?: string[]; peers?: string[] }]> = [
    ['no [X-Fleet] section', [o('Service', 'ExecStart', '/bin/true'), o('Service', 'Global', 'true')], 'a.service', { constraints: {} }],
    ['MachineID pins the machine', [x('MachineID', '123')], 'a.service', { constraints: { machine: '123' } }],
    ['the first MachineID value wins', [x('MachineID', '"123" "456"')], 'a.service', { constraints: { machine: '123' } }],
    ['MachineID before the deprecated X-ConditionMachineID', [x('X-ConditionMachineID', '456'), x('MachineID', '123')], 'a.service', { constraints: { machine: '123' } }],
    ['X-ConditionMachineID before X-ConditionMachineBootID', [x('X-ConditionMachineBootID', '123'), x('X-ConditionMachineID', '456')], 'a.service', { constraints: { machine: '456' } }],
    ['X-ConditionMachineBootID alone', [x('X-ConditionMachineBootID', '123')], 'a.service', { constraints: { machine: '123' } }],
    [
      'MachineMetadata: OR within a key, AND across keys, bad pairs dropped',
      [
        x('MachineMetadata', 'ignored='),
        x('MachineMetadata', 'oh=yeah'),
        x('MachineMetadata', 'whynot=zoidberg'),
        x('X-ConditionMachineMetadata', 'oh=no'),
        x('X-ConditionMachineMetadata', '"one=abc" "two=def"'),
        x('MachineMetadata', '=asdf'),
        x('MachineMetadata', 'foo=asdf=WHAT'),
      ],
      'a.service',
      { constraints: { machineSelector: { oh: ['no', 'yeah'], one: 'abc', two: 'def', whynot: 'zoidberg' } } },
    ],
    ['MachineOf, several values', [x('MachineOf', '"foo.service" "bar.service"')], 'a.service', { constraints: { machineOf: ['foo.service', 'bar.service'] }, peers: ['foo.service', 'bar.service'] }],
    ['X-ConditionMachineOf comes first', [x('MachineOf', 'b.service'), x('X-ConditionMachineOf', 'a.service')], 'a.service', { constraints: { machineOf: ['a.service', 'b.service'] }, peers: ['a.service', 'b.service'] }],
    ['Conflicts split on blanks and repeatable', [x('Conflicts', '*bar* *foo*'), x('Conflicts', 'baz.service'), x('X-Conflicts', 'old*')], 'a.service', { constraints: { conflicts: ['old*', '*bar*', '*foo*', 'baz.service'] } }],
    ['Replaces is not split', [x('Replaces', '*bar*'), x('Replaces', 'a b')], 'a.service', { constraints: { replaces: ['*bar*', 'a b'] }, replaces: ['*bar*', 'a b'] }],
    ['Global: last value wins', [x('Global', 'false'), x('Global', 'True')], 'a.service', { constraints: {}, global: true }],
    ['Global=false after true', [x('Global', 'true'), x('Global', 'false')], 'a.service', { constraints: {}, global: false }],
    ['Global=12 is not true', [x('Global', '12')], 'a.service', { constraints: {}, global: false }],
    ['X-Global is not Global', [x('X-Global', 'true')], 'a.service', { constraints: {}, global: false }],
    [
      'specifiers expanded for an instance',
      [x('MachineOf', '%p-db@%i.service'), x('Conflicts', '%p@*.service'), x('MachineMetadata', 'role=%i'), x('Replaces', '%N-old.service')],
      'web@2.service',
      { constraints: { machineOf: 'web-db@2.service', conflicts: ['web@*.service'], machineSelector: { role: '2' }, replaces: ['web@2-old.service'] }, replaces: ['web@2-old.service'], peers: ['web-db@2.service'] },
    ],
    ['specifiers for a plain unit: %i is empty, %n the full name', [x('Conflicts', '%n'), x('MachineOf', 'x%iy')], 'test.service', { constraints: { conflicts: ['test.service'], machineOf: 'xy' }, peers: ['xy'] }],
  ];
  for (const [title, options, unit, want] of cases) {
    it(`maps ${title}`, () => {
      const got = fleetConstraints(options, unit);
      if (got.constraints.machineSelector) {
        for (const v of Object.values(got.constraints.machineSelector)) if (Array.isArray(v)) v.sort();
      }
      assert.deepEqual(got.constraints, want.constraints);
      assert.equal(got.global, want.global ?? false);
      assert.deepEqual(got.replaces, want.replaces ?? []);
      assert.deepEqual(got.peers, want.peers ?? (want.constraints.machineOf ? [want.constraints.machineOf].flat() : []));
    });
  }

  it('warns about keys fleet does not know, in fleetctl words', () => {
    const got = fleetConstraints([x('MachineId', 'x'), x('Machineof', 'y'), x('Global', 'true')], 'a.service');
    assert.deepEqual(
      got.warnings.filter((w) => w.startsWith('unrecognized')),
      ['unrecognized requirement in [X-Fleet] section: "MachineId"', 'unrecognized requirement in [X-Fleet] section: "Machineof"'],
    );
  });

  it('says what it drops (bad metadata pairs), and keeps every MachineOf unit', () => {
    const got = fleetConstraints([x('MachineMetadata', 'bad'), x('MachineOf', '"a.service" "b.service"')], 'a.service');
    assert.equal(got.warnings.length, 1);
    assert.match(got.warnings[0]!, /"bad" is not key=value/);
    assert.deepEqual(got.constraints.machineOf, ['a.service', 'b.service']);
  });

  it('reads the rules of a parsed unit file', () => {
    const options = parseUnitFile('[Service]\nExecStart=/bin/true\n\n[X-Fleet]\nMachineMetadata="region=eu" "disk=ssd"\nConflicts=web@*.service\nGlobal=false\n');
    assert.deepEqual(fleetConstraints(options, 'web@1.service').constraints, { machineSelector: { region: 'eu', disk: 'ssd' }, conflicts: ['web@*.service'] });
  });
});

describe('fleetOptionsProblem', () => {
  // fleet's api.ValidateOptions answers for the same options
  const cases: Array<[title: string, options: UnitOption[], want: string | undefined]> = [
    ['no options', [], undefined],
    ['conflicts that match no peer', [x('Conflicts', 'b*e'), x('MachineOf', 'foo.service')], undefined],
    ['a peer matching a conflict', [x('Conflicts', 'foo.service'), x('MachineOf', 'foo.service')], 'unresolvable requirements: peer "foo.service" matches conflict "foo.service"'],
    ['a peer matching a conflict glob', [x('Conflicts', 'b*e'), x('MachineOf', 'baz.service')], 'unresolvable requirements: peer "baz.service" matches conflict "b*e"'],
    ['a peer matching a deprecated conflict, multi-valued', [x('X-Conflicts', 'a* b*'), x('MachineOf', '"q" "bc"')], 'unresolvable requirements: peer "bc" matches conflict "b*"'],
    ['a peer matching a replace', [x('Replaces', 'bar.service'), x('MachineOf', 'bar.service')], 'unresolvable requirements: peer "bar.service" matches replace "bar.service"'],
    ['MachineID with MachineOf', [x('MachineID', 'abc'), x('MachineOf', 'x.service')], 'MachineID cannot be used with Peers'],
    ['X-ConditionMachineBootID with X-ConditionMachineOf', [x('X-ConditionMachineBootID', 'b'), x('X-ConditionMachineOf', 'x.service')], 'MachineID cannot be used with Peers'],
    ['MachineID with Conflicts', [x('MachineID', 'abc'), x('Conflicts', 'x.service')], 'MachineID cannot be used with Conflicts'],
    ['MachineID with Global', [x('Global', 'true'), x('MachineID', 'abc')], 'MachineID cannot be used with Global'],
    ['MachineID with Replaces', [x('MachineID', 'abc'), x('Replaces', 'x.service')], 'MachineID cannot be used with Replaces'],
    ['Global with MachineOf', [x('Global', 'true'), x('MachineOf', 'x.service')], 'Global cannot be used with Peers'],
    ['Global with Replaces', [x('Global', 'yes'), x('Replaces', 'x.service')], 'Global cannot be used with Replaces'],
    ['Conflicts with Replaces', [x('Conflicts', 'a.service'), x('Replaces', 'b.service')], 'Conflicts cannot be used with Replaces'],
    ['Global with Conflicts', [x('Global', 'true'), x('Conflicts', 'x.service')], undefined],
    ['Global turned off again, with MachineOf', [x('Global', 'true'), x('Global', 'false'), x('MachineOf', 'x.service')], undefined],
    ['an option name with a newline', [o('Service', 'A\nB', 'x')], 'unexpected newline encountered while parsing option name'],
    ['a value with a newline and no "=" after it', [o('Service', 'A', 'x\ny')], 'unexpected newline encountered while parsing option name'],
    ['a value with a newline and "=" after it (fleet lets it through)', [o('Service', 'A', 'x\ny=z')], undefined],
    ['a section name with "]"', [o('S]x', 'A', '1')], 'found garbage after section name : [120 93]'],
    ['a line of 2048 bytes', [o('S', 'A', 'x'.repeat(2046))], 'line too long (max 2048 bytes)'],
    ['a line of 2047 bytes', [o('S', 'A', 'x'.repeat(2045))], undefined],
  ];
  for (const [title, options, want] of cases) {
    it(`${want ? 'refuses' : 'accepts'} ${title}`, () => assert.equal(fleetOptionsProblem(options), want));
  }

  it('does not expand specifiers before checking, as fleet does not', () => {
    assert.equal(fleetOptionsProblem([x('Conflicts', '%p@*.service'), x('MachineOf', 'web@1.service')]), undefined);
  });
});

describe('fleetMachineMatches', () => {
  const id = '0123456789abcdef0123456789abcdef';
  for (const [wanted, ok] of [[id, true], ['01234567', true], ['0123456', false], ['0123456789', false], ['x', false]] as const) {
    it(`${ok ? 'accepts' : 'rejects'} MachineID=${wanted}`, () => assert.equal(fleetMachineMatches(id, wanted), ok));
  }
});

describe('fleetDescription', () => {
  it('is the first [Unit] Description, as fleet lists it', () => {
    assert.equal(fleetDescription([o('Service', 'Description', 'no'), o('Unit', 'Description', 'first'), o('Unit', 'Description', 'second')]), 'first');
    assert.equal(fleetDescription([o('Service', 'ExecStart', '/bin/true')]), '');
  });
});

describe('instantiate', () => {
  const template = parseUnitFile(`[Unit]
Description=web %i on %H
After=db@%i.service

[Service]
ExecStart=/usr/bin/web --id %i --unit %n --percent 100%%

[X-Fleet]
Conflicts=%p@*.service
MachineMetadata=slot=%i
`);

  it('keeps the template options unchanged for storage, so the instance has the template hash', () => {
    const unit = instantiate(template, 'web@3.service');
    assert.equal(unit.name, 'web@3.service');
    assert.equal(unit.template, 'web@.service');
    assert.deepEqual(unit.options, template);
    assert.notEqual(unit.options, template);
    assert.equal(unitHash(unit.options), unitHash(template));
  });

  it('expands specifiers the way systemd and fleet will see them for the instance', () => {
    const unit = instantiate(template, 'web@3.service', { hostname: 'node1' });
    assert.deepEqual(unit.expandedOptions.map((opt) => opt.value), [
      'web 3 on node1',
      'db@3.service',
      '/usr/bin/web --id 3 --unit web@3.service --percent 100%',
      'web@*.service',
      'slot=3',
    ]);
  });

  it('leaves a value it cannot resolve as written', () => {
    const unit = instantiate(template, 'web@3.service');
    assert.equal(unit.expandedOptions[0]!.value, 'web %i on %H');
  });

  it("gives the instance's scheduling rules", () => {
    assert.deepEqual(instantiate(template, 'web@3.service').fleet.constraints, { conflicts: ['web@*.service'], machineSelector: { slot: '3' } });
  });

  for (const bad of ['web@.service', 'web.service', 'web@1.mount', 'bad name@1.service']) {
    it(`refuses ${JSON.stringify(bad)}: not an instance name`, () => {
      assert.throws(() => instantiate(template, bad), (err: unknown) => err instanceof UnitFileError && err.message.includes('cannot instantiate'));
    });
  }
});
