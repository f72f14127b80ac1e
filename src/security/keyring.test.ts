import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Keyring } from './keyring.js';

const withDir = (fn: (dir: string) => void) => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-keyring-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('a new key file is 0600, holds no plain text it sealed, and opens again', () => {
  withDir((dir) => {
    const path = join(dir, 'secrets.key');
    const ring = Keyring.open(path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const sealed = ring.seal('hunter2', 'secrets/default/db');
    assert.ok(!sealed.includes('hunter2'));
    assert.notEqual(ring.seal('hunter2', 'secrets/default/db'), sealed, 'every seal uses a fresh IV');
    assert.equal(Keyring.open(path).open(sealed, 'secrets/default/db'), 'hunter2');
  });
});

test('a ciphertext opens only for the object it was sealed for, and not once tampered with', () => {
  const ring = Keyring.ephemeral();
  const sealed = ring.seal('v', 'secrets/default/a');
  assert.throws(() => ring.open(sealed, 'secrets/default/b'));
  const body = Buffer.from(sealed.slice(sealed.lastIndexOf(':') + 1), 'base64');
  body[body.length - 20]! ^= 1;
  assert.throws(() => ring.open(sealed.slice(0, sealed.lastIndexOf(':') + 1) + body.toString('base64'), 'secrets/default/a'));
  assert.throws(() => ring.open('plain text', 'secrets/default/a'), /not a drover ciphertext/);
});

test('old keys open what they sealed until retired; a key file readable by others is refused', () => {
  withDir((dir) => {
    const path = join(dir, 'secrets.key');
    const ring = Keyring.open(path);
    const old = ring.seal('v1', 'c');
    const second = ring.addKey();
    assert.equal(ring.primaryId, second);
    assert.equal(ring.keyIdOf(ring.seal('v2', 'c')), second);
    assert.equal(ring.open(old, 'c'), 'v1');
    ring.retireOthers();
    assert.throws(() => Keyring.open(path).open(old, 'c'), /same key file/);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).keys.length, 1);
    chmodSync(path, 0o644);
    assert.throws(() => Keyring.open(path), /readable by others.*chmod 600/);
  });
});
