import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyRule } from '../model/index.js';
import type { Attributes } from './authorizer.js';
import { ruleAllows } from './rbac.js';

describe('ruleAllows', () => {
  const cases: [string, PolicyRule, Attributes, boolean][] = [
    ['verb and resource match', { verbs: ['get'], resources: ['services'] }, { verb: 'get', resource: 'services' }, true],
    ['another verb', { verbs: ['get'], resources: ['services'] }, { verb: 'delete', resource: 'services' }, false],
    ['* verbs', { verbs: ['*'], resources: ['services'] }, { verb: 'delete', resource: 'services' }, true],
    ['a plural does not cover its subresources', { verbs: ['*'], resources: ['tasks'] }, { verb: 'create', resource: 'tasks', subresource: 'root' }, false],
    ['a named subresource', { verbs: ['create'], resources: ['tasks/exec'] }, { verb: 'create', resource: 'tasks', subresource: 'exec' }, true],
    ['kind/* covers every subresource', { verbs: ['create'], resources: ['tasks/*'] }, { verb: 'create', resource: 'tasks', subresource: 'bind' }, true],
    ['kind/* does not cover the kind itself', { verbs: ['create'], resources: ['tasks/*'] }, { verb: 'create', resource: 'tasks' }, false],
    ['* covers subresources', { verbs: ['*'], resources: ['*'] }, { verb: 'create', resource: 'tasks', subresource: 'root' }, true],
    ['resourceNames: the named object', { verbs: ['get'], resources: ['services'], resourceNames: ['web'] }, { verb: 'get', resource: 'services', name: 'web' }, true],
    ['resourceNames: another object', { verbs: ['get'], resources: ['services'], resourceNames: ['web'] }, { verb: 'get', resource: 'services', name: 'db' }, false],
    ['resourceNames: a list names no object', { verbs: ['list'], resources: ['services'], resourceNames: ['web'] }, { verb: 'list', resource: 'services' }, false],
  ];
  for (const [name, rule, attrs, expected] of cases) {
    it(name, () => assert.equal(ruleAllows(rule, attrs), expected));
  }
});
