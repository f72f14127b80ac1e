import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Installation, Package, PackageSpec } from '../model/index.js';
import { checkValues, compareVersions, renderService, resolvePackage, substitute } from './render.js';

const META = { uid: 'u0', revision: 1, generation: 1, createdAt: '', updatedAt: '' };
const pkg = (spec: Partial<PackageSpec> & { version: string }): Package => ({
  apiVersion: 'drover/v1',
  kind: 'Package',
  metadata: { ...META, name: `p-${spec.version}` },
  spec: { package: 'p', template: { command: ['run'] }, ...spec },
  status: {},
});
const inst = (spec: Partial<Installation['spec']> = {}, status?: Installation['status']): Installation => ({
  apiVersion: 'drover/v1',
  kind: 'Installation',
  metadata: { ...META, name: 'i', namespace: 'default', uid: 'u1' },
  spec: { package: 'p', ...spec },
  status: status ?? {},
});

describe('compareVersions', () => {
  const cases: [string, string, number][] = [
    ['7.10', '7.9', 1],
    ['7.0', '7.0', 0],
    ['3.4', '3.4.1', -1],
    ['10', '9', 1],
    ['1.0-rc1', '1.0-2', 1],
  ];
  for (const [a, b, sign] of cases) it(`${a} vs ${b}`, () => assert.equal(Math.sign(compareVersions(a, b)), sign));
});

describe('resolvePackage', () => {
  const catalog = [pkg({ version: '7.9' }), pkg({ version: '7.10' }), pkg({ package: 'q', version: '99' })];
  it('the newest by numeric comparison when no version is given', () => assert.equal((resolvePackage(catalog, inst()) as { package: Package }).package.spec.version, '7.10'));
  it('the given version', () => assert.equal((resolvePackage(catalog, inst({ version: '7.9' })) as { package: Package }).package.spec.version, '7.9'));
  it('the version it was installed at: never an upgrade by itself', () => assert.equal((resolvePackage(catalog, inst({}, { version: '7.9' })) as { package: Package }).package.spec.version, '7.9'));
  it('an unknown version names the versions there are', () => assert.deepEqual(resolvePackage(catalog, inst({ version: '8' })), { error: 'package "p" has no version "8" (versions: 7.10, 7.9)' }));
  it('an unknown package', () => assert.match((resolvePackage(catalog, inst({ package: 'zz' })) as { error: string }).error, /package "zz" not found/));
});

describe('checkValues', () => {
  const p = pkg({ version: '1', parameters: [{ name: 'port', default: '6379', pattern: '[0-9]+' }, { name: 'password', description: 'the password' }] });
  it('fills defaults', () => assert.deepEqual(checkValues(p, { password: 's' }), { values: { port: '6379', password: 's' } }));
  it('refuses unknown keys, naming the parameters there are', () => assert.match((checkValues(p, { password: 's', prot: '1' }) as { error: string }).error, /unknown parameter "prot" for package p@1; its parameters: port, password/));
  it('refuses a missing required one with the fix', () => assert.match((checkValues(p, {}) as { error: string }).error, /parameter "password" of package p@1 is required \(the password\): set it with --set password=VALUE/));
  it('the pattern matches the whole value', () => assert.match((checkValues(p, { password: 's', port: '80a' }) as { error: string }).error, /parameter "port".*"80a" does not match the pattern \[0-9\]\+/));
});

describe('substitute and renderService', () => {
  it('replaces placeholders in strings only: quotes and braces in values stay text (JSON-safe)', () => {
    const out = substitute({ a: ['x{{v}}y', '{{ v }}'], n: 3, '{{v}}': 'key' }, { v: '"}\\' });
    assert.deepEqual(out, { a: ['x"}\\y', '"}\\'], n: 3, '{{v}}': 'key' });
  });
  it('renders template, constraints (the installation\'s win) and requires, replicas default 1', () => {
    const p = pkg({
      version: '1',
      parameters: [{ name: 'port' }],
      template: { command: ['srv', '--port', '{{port}}'], env: { PORT: '{{port}}' } },
      constraints: { machineSelector: { port: '{{port}}' }, conflicts: ['x'] },
      requires: ['srv'],
      provides: 'apt-get install srv',
    });
    const r = renderService(p, { port: '80' }, inst({ constraints: { conflicts: ['y'] } }));
    assert.deepEqual(r.template, { command: ['srv', '--port', '80'], env: { PORT: '80' }, requires: ['srv'], requiresFrom: 'apt-get install srv' });
    assert.deepEqual(r.constraints, { machineSelector: { port: '80' }, conflicts: ['y'] });
    assert.equal(r.replicas, 1);
    assert.deepEqual(p.spec.template.command, ['srv', '--port', '{{port}}'], 'the package is not changed');
  });
});
