import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targetOf } from './audit.js';

test('targetOf names kind, namespace, name and subresource from route patterns of every door', () => {
  const cases: [string, Record<string, string>, ReturnType<typeof targetOf>][] = [
    ['/api/v1/tasks', {}, { kind: 'tasks', name: undefined, subresource: undefined, namespace: undefined }],
    ['/api/v1/tasks/:name/exec', { name: 'web-1' }, { kind: 'tasks', name: 'web-1', subresource: 'exec', namespace: undefined }],
    ['/api/v1/namespaces/:namespace/secrets/:name', { namespace: 'prod', name: 'db' }, { kind: 'secrets', name: 'db', subresource: undefined, namespace: 'prod' }],
    ['/api/v1/system/secret-keys/rotate', {}, { kind: 'system', name: 'secret-keys', subresource: 'rotate', namespace: undefined }],
    ['/fleet/v1/*', { '*': 'units/web.service' }, { kind: 'units', name: 'web.service', subresource: undefined, namespace: undefined }],
    ['/v1-alpha/*', { '*': 'machines' }, { kind: 'machines', name: undefined, subresource: undefined, namespace: undefined }],
  ];
  for (const [pattern, params, want] of cases) assert.deepEqual(targetOf(pattern, params), want, pattern);
});
