import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCpuCount, parseDfAvailable, parseMemTotal, parseOsRelease } from './facts.js';

test('os-release values are unquoted the ways os-release(5) allows', () => {
  const os = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME=\'Debian\'\nID=debian\n# comment\nBAD LINE\nQ="a \\"b\\""\n');
  assert.deepEqual(os, { PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', NAME: 'Debian', ID: 'debian', Q: 'a "b"' });
});

test('memory, space and CPUs are read from meminfo, df -P and nproc, and nonsense is refused', () => {
  assert.equal(parseMemTotal('MemTotal:        8043212 kB\nMemFree: 1 kB\n'), 8043212 * 1024);
  assert.equal(parseDfAvailable('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 40 60 40% /\n'), 60 * 1024);
  assert.equal(parseCpuCount('4\n'), 4);
  assert.throws(() => parseMemTotal('MemFree: 1 kB'), /MemTotal/);
  assert.throws(() => parseDfAvailable('Filesystem\n'), /Available/);
  assert.throws(() => parseCpuCount('x'), /not a CPU count/);
});
