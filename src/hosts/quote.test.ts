import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { shellCommand, shellWord } from './quote.js';

test('quoted words come back from sh exactly as given, whatever they hold', () => {
  const cases = ['plain', '', 'two words', "it's", '$(touch /tmp/x)', '`id`', 'a;b', 'x\ny', '"q"', '\\', '*', '~root', '--flag=a b', "''"];
  const out = execFileSync('sh', ['-c', `for a in ${cases.map(shellWord).join(' ')}; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  assert.deepEqual(out.split('\0').slice(0, -1), cases);
});

test('safe words stay bare; a command needs its program', () => {
  assert.equal(shellCommand(['cat', '/etc/os-release']), 'cat /etc/os-release');
  assert.equal(shellWord('a b'), "'a b'");
  assert.throws(() => shellCommand([]), /at least its program/);
});
