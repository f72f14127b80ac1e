import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvironmentFile, parseEnvironmentValue } from './environment.js';

describe('parseEnvironmentValue', () => {
  const cases: Array<[title: string, value: string, want: Array<[string, string]>, warnings: number]> = [
    ['one assignment', 'A=1', [['A', '1']], 0],
    ['several, quoted as a whole (systemd.exec(5) example)', '"VAR1=word1 word2" VAR2=word3 "VAR3=$word 5 6"', [['VAR1', 'word1 word2'], ['VAR2', 'word3'], ['VAR3', '$word 5 6']], 0],
    ['quotes inside a word are removed', `ONE='one' "TWO='two two' too" THREE=`, [['ONE', 'one'], ['TWO', "'two two' too"], ['THREE', '']], 0],
    ['C escapes', 'A=a\\tb "B=x\\"y"', [['A', 'a\tb'], ['B', 'x"y']], 0],
    ['an invalid name is skipped', '1A=x B=y "C=a b"', [['B', 'y'], ['C', 'a b']], 1],
    ['a word without "=" is skipped', 'JUSTNAME B=1', [['B', '1']], 1],
    ['a quoting error stops the line, keeping what came before', 'A=1 "B=2', [['A', '1']], 1],
    ['an unknown escape makes the rest invalid', 'A=1 B=\\q', [['A', '1']], 1],
    ['the same name twice: both kept in order', 'A=1 A=2', [['A', '1'], ['A', '2']], 0],
  ];
  for (const [title, value, want, warnings] of cases) {
    it(`reads ${title}`, () => {
      const got = parseEnvironmentValue(value);
      assert.deepEqual(got.assignments, want);
      assert.equal(got.warnings.length, warnings, got.warnings.join('; '));
    });
  }

  it('resolves specifiers per word and skips a word that fails', () => {
    const resolve = (w: string) => {
      if (w.includes('%z')) throw new Error('unknown specifier');
      return w.replaceAll('%i', '7');
    };
    const got = parseEnvironmentValue('ID=%i BAD=%z', resolve);
    assert.deepEqual(got.assignments, [['ID', '7']]);
    assert.equal(got.warnings.length, 1);
  });
});

describe('parseEnvironmentFile', () => {
  it('reads the usual forms', () => {
    const text = [
      '# a comment',
      '; another',
      'PLAIN=value',
      '  SPACED = with spaces   ',
      "SINGLE='literal $HOME \\n'",
      'DOUBLE="a \\"quoted\\" \\$x \\\\ \\n kept"',
      'EMPTY=',
      'CONT=first \\',
      'second',
      'DQCONT="one \\',
      'two"',
      'NOEQUALS',
      '1BAD=x',
      'export EXPORTED=1',
      'LAST=end',
    ].join('\n');
    const got = parseEnvironmentFile(text);
    assert.deepEqual(got.env, {
      PLAIN: 'value',
      SPACED: 'with spaces',
      SINGLE: 'literal $HOME \\n',
      DOUBLE: 'a "quoted" $x \\ \\n kept',
      EMPTY: '',
      CONT: 'first second',
      DQCONT: 'one two',
      LAST: 'end',
    });
    assert.equal(got.warnings.length, 3, got.warnings.join('; ')); // NOEQUALS, 1BAD, "export EXPORTED"
  });

  it('handles CRLF line ends and a last line without a newline', () => {
    assert.deepEqual(parseEnvironmentFile('A=1\r\nB=2  ').env, { A: '1', B: '2' });
  });

  it('lets a later line override an earlier one', () => {
    assert.deepEqual(parseEnvironmentFile('A=1\nA=2\n').env, { A: '2' });
  });

  it('continues a comment that ends in a backslash (systemd 252)', () => {
    assert.deepEqual(parseEnvironmentFile('# c \\\nHIDDEN=1\nSHOWN=2\n').env, { SHOWN: '2' });
  });

  it('joins a quoted value with text right after it', () => {
    assert.deepEqual(parseEnvironmentFile('A="x" y\n').env, { A: 'xy' });
  });
});
