import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatches } from './glob.js';

// Expectations follow Go's path.Match, which fleet uses for Conflicts.
describe('conflict globs', () => {
  const cases: [string, string, boolean][] = [
    ['web', 'web', true],
    ['web', 'web2', false],
    ['web-*', 'web-1', true],
    ['web-*', 'web-', true],
    ['web-*', 'web', false],
    ['web-*', 'db-1', false],
    ['*', 'anything.service', true],
    ['*', 'a/b', false],
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
    ['[\\]]', ']', true],
    ['[z-a]', 'm', false], // an inverted range matches nothing
    ['[^z-a]', 'm', true],
    ['a(b', 'a(b', true],
    ['ünï*', 'ünïcode', true],
    ['?', 'ü', true],
    // malformed patterns match nothing, as fleet treats path.ErrBadPattern
    ['web-[', 'web-[', false],
    ['web-[]', 'web-]', false],
    ['a\\', 'a\\', false],
    ['[-a]', '-', false],
  ];
  for (const [pattern, name, want] of cases) {
    it(`${JSON.stringify(pattern)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(name)}`, () => {
      assert.equal(globMatches(pattern, name), want);
    });
  }
});
