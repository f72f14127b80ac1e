import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redactSettings, scrubText } from './redact.js';

describe('redaction for support bundles', () => {
  it('replaces string values under secret-looking names, keeps flags, numbers and sources', () => {
    const settings = {
      listen: { value: '0.0.0.0:8080', source: 'flag' },
      etcdKey: { value: '/etc/drover/etcd.key', source: 'environment' },
      auth: { value: true, source: 'default' },
      secretsKeyFile: { value: '/var/lib/drover/secrets.key', source: 'default' },
      nested: { adminPassword: 'hunter2', port: 22, list: ['a'] },
      tokens: ['drover.x'],
    };
    assert.deepEqual(redactSettings(settings), {
      listen: { value: '0.0.0.0:8080', source: 'flag' },
      etcdKey: { value: REDACTED, source: 'environment' },
      auth: { value: true, source: 'default' },
      secretsKeyFile: { value: REDACTED, source: 'default' },
      nested: { adminPassword: REDACTED, port: 22, list: ['a'] },
      tokens: [REDACTED],
    });
  });

  const token = `drover.${'a'.repeat(16)}.${'b'.repeat(64)}`;
  const cases: [string, string, string][] = [
    ['a drover token', `label note=${token} end`, 'label note=drover.<redacted> end'],
    ['a bearer header', 'authorization: Bearer abc.def-123', 'authorization: Bearer <redacted>'],
    ['basic credentials', 'Authorization: Basic dmljOnZpYy1wYXNzd29yZA==', 'Authorization: Basic <redacted>'],
    ['a private key', 'k=-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----.', 'k=<redacted private key>.'],
    ['plain text', 'nothing to hide: basic idea', 'nothing to hide: basic idea'],
  ];
  for (const [name, text, want] of cases) it(`scrubs ${name}`, () => assert.equal(scrubText(text), want));
});
