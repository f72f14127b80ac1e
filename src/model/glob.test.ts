import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goPathMatch } from './glob.js';

// Answers of Go's path.Match for the same pattern and name (a malformed pattern: no match).
const cases: Array<[pattern: string, name: string, matches: boolean]> = [
  ['web@*.service', 'web@1.service', true],
  ['web@*.service', 'web@.service', true],
  ['web@*.service', 'web@a/b.service', false],
  ['*.service', 'foo.service', true],
  ['*', 'a/b', false],
  ['?', '/', false],
  ['?', 'é', true],
  ['a?c', 'abc', true],
  ['a*b*c', 'aXbYc', true],
  ['a*b*c', 'abXc/', false],
  ['foo', 'foo', true],
  ['foo', 'Foo', false],
  ['[a-c]x', 'bx', true],
  ['[^a-c]x', 'dx', true],
  ['[^a-c]x', 'ax', false],
  ['[^a]', '/', true],
  ['[!a]', '!', true],
  ['[é]', 'é', true],
  ['[\\]]', ']', true],
  ['[\\-]', '-', true],
  ['[a\\-z]', '-', true],
  ['[a-\\z]', 'm', true],
  ['[z-a]', 'q', false],
  ['[^z-a]', 'q', true],
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['[a-]', 'a', false],
  ['[]a]', ']', false],
  ['[^]', 'a', false],
  ['a[', 'a[', false],
  ['a\\', 'a\\', false],
  ['[x', 'x', false],
  // Conflicts globs as services use them
  ['web', 'web', true],
  ['web', 'web2', false],
  ['web-*', 'web-1', true],
  ['web-*', 'web-', true],
  ['web-*', 'web', false],
  ['web-*', 'db-1', false],
  ['*', 'anything.service', true],
  ['foo@*.service', 'foo@1.service', true],
  ['foo@*.service', 'foo@.service', true],
  ['foo@*.service', 'bar@1.service', false],
  ['web-?', 'web-1', true],
  ['web-?', 'web-12', false],
  ['web-[0-9]', 'web-7', true],
  ['web-[0-9]', 'web-x', false],
  ['web-[^0-9]', 'web-x', true],
  ['web-[^0-9]', 'web-7', false],
  ['web-[abc]', 'web-b', true],
  ['web-[a-cx]', 'web-x', true],
  ['a.b', 'a.b', true],
  ['a.b', 'axb', false], // "." is literal
  ['a+b', 'a+b', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'axb', false],
  ['[z-a]', 'm', false], // an inverted range matches nothing
  ['[^z-a]', 'm', true],
  ['a(b', 'a(b', true],
  ['ünï*', 'ünïcode', true],
  ['?', 'ü', true],
  // malformed patterns match nothing, as fleet treats path.ErrBadPattern
  ['web-[', 'web-[', false],
  ['web-[]', 'web-]', false],
  ['[-a]', '-', false],
];

describe('goPathMatch', () => {
  for (const [pattern, name, matches] of cases) {
    it(`${matches ? 'matches' : 'does not match'} ${JSON.stringify(name)} with ${JSON.stringify(pattern)}, as Go's path.Match`, () => {
      assert.equal(goPathMatch(pattern, name), matches);
    });
  }
});
