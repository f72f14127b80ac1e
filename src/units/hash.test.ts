import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UnitOption } from '../model/index.js';
import { shortUnitHash, unitHash } from './hash.js';
import { parseUnitFile } from './parse.js';

const o = (section: string, name: string, value: string): UnitOption => ({ section, name, value });

// Hashes computed by fleet's own code (unit.UnitFile.Hash) for the same options.
const vectors: Array<[title: string, options: UnitOption[], hash: string]> = [
  ['fleet unit/unit_test.go TestUnitHash', [o('Service', 'ExecStart', '/bin/sleep 100')], '1c6fb6f3684bafb0c173d8b8b957ceff031180c1'],
  ['no options (SHA-1 of nothing)', [], 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  ['the API spec example', [o('Service', 'ExecStart', '/usr/bin/sleep 3000')], '248b997d6becee1b835b7ec7d9c8e68d7dd24623'],
  [
    'sections given out of order (hashed grouped by section)',
    [o('Unit', 'Description', 'web'), o('Service', 'ExecStart', "/bin/sh -c 'while true; do echo hi; sleep 1; done'"), o('X-Fleet', 'Conflicts', 'web@*.service'), o('Unit', 'After', 'docker.service')],
    '74197541b487f638795fd6b85d11cea83f036e2e',
  ],
  ['a value with continuations', [o('Service', 'ExecStart', 'echo \\\n  "pi\\\n  ng"')], '1eb7cf75d82883dff056df8969694a58caea2c32'],
  ['non-ASCII text (hashed as UTF-8)', [o('Unit', 'Description', 'Ünïcödé ☃')], '63a0526af5af4e6fdec7ac4553f35a3c8f7d205b'],
];

describe('unitHash', () => {
  for (const [title, options, hash] of vectors) {
    it(`matches fleet for ${title}`, () => assert.equal(unitHash(options), hash));
  }

  it('hashes a parsed unit file the way fleetctl reports it', () => {
    const text = `[Unit]
Description=My web server
After=docker.service
Requires=docker.service

[Service]
TimeoutStartSec=0
ExecStartPre=-/usr/bin/docker kill web%i
ExecStartPre=-/usr/bin/docker rm web%i
ExecStart=/usr/bin/docker run --name web%i -p 80:80 nginx
ExecStop=/usr/bin/docker stop web%i

[X-Fleet]
Conflicts=web@*.service
`;
    assert.equal(unitHash(parseUnitFile(text)), 'ba4a4d8b7850c2ef6c5cefb160874ab845fa5081');
  });

  it('ignores comments and layout: only the options count', () => {
    const a = parseUnitFile('[Service]\nExecStart=/bin/sleep 100\n');
    const b = parseUnitFile('# a comment\n\n[Service]\n   ExecStart =  /bin/sleep 100   \n');
    assert.equal(unitHash(a), unitHash(b));
  });

  it('changes when an option changes', () => {
    assert.notEqual(unitHash([o('Service', 'ExecStart', '/bin/sleep 100')]), unitHash([o('Service', 'ExecStart', '/bin/sleep 101')]));
  });
});

describe('shortUnitHash', () => {
  it('is the first 7 digits, as fleetctl list-unit-files prints', () => assert.equal(shortUnitHash('1c6fb6f3684bafb0c173d8b8b957ceff031180c1'), '1c6fb6f'));
});
