import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnitFileError } from './errors.js';
import { expandSpecifiers, unescapeUnitName, unescapeUnitPath } from './specifiers.js';

// Expansions checked with systemd 252 (systemd-analyze verify reports the resolved executable).
const cases: Array<[unit: string, text: string, want: string]> = [
  ['a-b@c-d.service', '/x/%p-%i', '/x/a-b-c-d'],
  ['foo@bar.service', '%n %N %p %i', 'foo@bar.service foo@bar foo bar'],
  ['a@x-y.service', '%I', 'x/y'],
  ['a@x-y.service', '%f', '/x/y'],
  ['a@x\\x2dy.service', '%I|%i|%J', 'x-y|x\\x2dy|a'],
  ['a-b\\x2dc.service', '%j/%J/%N/%P', 'b\\x2dc/b-c/a-b\\x2dc/a/b-c'],
  ['foo-bar.service', 'x%f', 'x/foo/bar'],
  ['t.service', 'x%iy%I', 'xy'],
  ['q@1.service', '%%i%', '%i%'],
  ['q@1.service', '100%', '100%'],
  ['q@1.service', 'no specifiers', 'no specifiers'],
  ['q@1.service', '%u%U%h%t', 'root0/root/run'],
];

describe('expandSpecifiers', () => {
  for (const [unit, text, want] of cases) {
    it(`expands ${JSON.stringify(text)} for ${unit} to ${JSON.stringify(want)}`, () => assert.equal(expandSpecifiers(text, unit), want));
  }

  it('takes host values from the context, and the short host name from the host name', () => {
    const ctx = { hostname: 'node1.example.com', machineId: 'a'.repeat(32), bootId: 'b'.repeat(32), user: 'drover', home: '/home/drover' };
    assert.equal(expandSpecifiers('%H %l %m %b %u %h', 'x.service', ctx), `node1.example.com node1 ${'a'.repeat(32)} ${'b'.repeat(32)} drover /home/drover`);
  });

  const failures: Array<[unit: string | undefined, text: string, pattern: RegExp]> = [
    ['x.service', '%z', /unknown specifier "%z".*"%%"/],
    ['x.service', '%H', /cannot resolve specifier "%H".*host name/],
    [undefined, '%n', /cannot resolve specifier "%n".*unit name/],
    ['a@-bar.service', '%f', /cannot resolve specifier "%f"/],
    ['a@x\\xzz.service', '%I', /cannot resolve specifier "%I"/],
  ];
  for (const [unit, text, pattern] of failures) {
    it(`refuses ${JSON.stringify(text)} for ${unit ?? 'an unnamed unit'}, as systemd does`, () => {
      assert.throws(() => expandSpecifiers(text, unit), (err: unknown) => err instanceof UnitFileError && pattern.test(err.message));
    });
  }
});

describe('unit name unescaping', () => {
  // systemd-escape --unescape [--path]
  const names: Array<[string, string | undefined, string | undefined]> = [
    ['a-b', 'a/b', '/a/b'],
    ['a\\x2db', 'a-b', '/a-b'],
    ['-bar', '/bar', undefined],
    ['-', '/', '/'],
    ['foo\\x20bar', 'foo bar', '/foo bar'],
    ['a\\xzz', undefined, undefined],
    ['a\\x2f', 'a/', undefined],
    ['caf\\xc3\\xa9', 'café', '/café'],
  ];
  for (const [escaped, plain, path] of names) {
    it(`unescapes ${JSON.stringify(escaped)} as systemd-escape does`, () => {
      assert.equal(unescapeUnitName(escaped), plain);
      assert.equal(unescapeUnitPath(escaped), path);
    });
  }
});
