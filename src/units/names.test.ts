import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRecognizedUnitType, parseUnitName, unitNameFromArg, unitNameProblem, type UnitNameInfo } from './names.js';

describe('parseUnitName', () => {
  const cases: Array<[string, Omit<UnitNameInfo, 'full'>]> = [
    ['foo.service', { name: 'foo', prefix: 'foo', instance: undefined, type: 'service', template: undefined, isTemplate: false, isInstance: false }],
    ['foo@.service', { name: 'foo@', prefix: 'foo', instance: undefined, type: 'service', template: 'foo@.service', isTemplate: true, isInstance: false }],
    ['foo@1.service', { name: 'foo@1', prefix: 'foo', instance: '1', type: 'service', template: 'foo@.service', isTemplate: false, isInstance: true }],
    ['foo@bar@baz.service', { name: 'foo@bar@baz', prefix: 'foo', instance: 'bar@baz', type: 'service', template: 'foo@.service', isTemplate: false, isInstance: true }],
    ['foo.1@.service', { name: 'foo.1@', prefix: 'foo.1', instance: undefined, type: 'service', template: 'foo.1@.service', isTemplate: true, isInstance: false }],
    ['foo.1@2.service', { name: 'foo.1@2', prefix: 'foo.1', instance: '2', type: 'service', template: 'foo.1@.service', isTemplate: false, isInstance: true }],
    ['ssh@1.socket', { name: 'ssh@1', prefix: 'ssh', instance: '1', type: 'socket', template: 'ssh@.socket', isTemplate: false, isInstance: true }],
    ['x.unknown', { name: 'x', prefix: 'x', instance: undefined, type: 'unknown', template: undefined, isTemplate: false, isInstance: false }],
  ];
  for (const [full, want] of cases) {
    it(`splits ${full} as fleet's UnitNameInfo does`, () => assert.deepEqual(parseUnitName(full), { full, ...want }));
  }
  for (const bad of ['foo', 'bar@baz', '']) {
    it(`has nothing to say about ${JSON.stringify(bad)} (no ".")`, () => assert.equal(parseUnitName(bad), undefined));
  }
});

describe('unitNameProblem', () => {
  // Messages as fleet's api.ValidateName returns them (checked against the Go code).
  const cases: Array<[string, string | undefined]> = [
    ['', 'unit name cannot be empty'],
    [`${'0'.repeat(249)}.service`, 'unit name exceeds maximum length (256)'],
    ['fooservice', 'unit name must contain "."'],
    ['bar@foo', 'unit name must contain "."'],
    ['foo.', 'unit name cannot end in "."'],
    ['foo.servICE', 'invalid unit type: "servICE"'],
    ['hello.cerveza', 'invalid unit type: "cerveza"'],
    ['foo%.service', "invalid character '%' in unit name"],
    ['yes/no.service', "invalid character '/' in unit name"],
    ['dog=woof@.mount', 'invalid unit type for template: "mount"'],
    ['foo@1.swap', 'invalid unit type for template: "swap"'],
    ['@foo.service', 'unit name cannot start in "@"'],
    ['@.service', 'unit name cannot start in "@"'],
    ['a b.service', "invalid character ' ' in unit name"],
    ['é.service', "invalid character 'é' in unit name"],
    ['a\u0000.service', "invalid character '\\x00' in unit name"],
    ['a\n.service', "invalid character '\\n' in unit name"],
    ["a'.service", "invalid character '\\'' in unit name"],
    ['a\u00a0.service', "invalid character '\\u00a0' in unit name"],
    ['a\u007f.service', "invalid character '\\x7f' in unit name"],
    ['foo.service', undefined],
    ['foo@.service', undefined],
    ['foo@123.service', undefined],
    ['yo.yo.service', undefined],
    ['hello:world.service', undefined],
    ['yes@no\\.service', undefined],
    ['jalapano_chips.service', undefined],
    ['foo-bar.mount', undefined],
    [`${'0'.repeat(248)}.service`, undefined],
    ['foo@1.timer', undefined],
    ['foo.target', undefined],
  ];
  for (const [name, want] of cases) {
    it(`${want ? 'refuses' : 'accepts'} ${JSON.stringify(name.length > 40 ? `${name.slice(0, 8)}…(${name.length})` : name)}${want ? `: ${want}` : ''}`, () => {
      assert.equal(unitNameProblem(name), want);
    });
  }
});

describe('unitNameFromArg', () => {
  const cases: Array<[string, string]> = [
    ['web', 'web.service'],
    ['web.service', 'web.service'],
    ['units/db@1.service', 'db@1.service'],
    ['/abs/path/hello.socket', 'hello.socket'],
    ['foo.link', 'foo.link.service'],
    ['foo.target', 'foo.target.service'],
    ['dir/', 'dir.service'],
  ];
  for (const [arg, want] of cases) it(`turns ${JSON.stringify(arg)} into ${want}, as fleetctl does`, () => assert.equal(unitNameFromArg(arg), want));

  it('recognizes the types fleetctl recognizes', () => {
    assert.deepEqual(
      ['a.service', 'a.socket', 'a.path', 'a.timer', 'a.mount', 'a.automount', 'a.device', 'a.swap', 'a.target', 'a.snapshot'].map(isRecognizedUnitType),
      [true, true, true, true, true, true, true, false, false, false],
    );
  });
});
