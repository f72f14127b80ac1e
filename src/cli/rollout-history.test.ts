import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Service, Task } from '../model/index.js';
import { historyRows } from './rollout-history.js';

const template = (cmd: string) => ({ command: ['sh', '-c', cmd], restartPolicy: 'always' as const });

function svc(current: string, previous?: string): Service {
  return {
    apiVersion: 'drover/v1',
    kind: 'Service',
    metadata: { name: 'web', uid: 'u1', revision: 9, generation: 3, createdAt: 't0', updatedAt: 't0', ...(previous ? { annotations: { 'drover.io/previous-template': JSON.stringify(template(previous)) } } : {}) },
    spec: { template: template(current) },
    status: {},
  };
}

function task(name: string, cmd: string, hash: string, createdAt: string, phase = 'Running', ownerUid = 'u1'): Task {
  return {
    apiVersion: 'drover/v1',
    kind: 'Task',
    metadata: { name, uid: name, revision: 1, generation: 1, createdAt, updatedAt: createdAt, labels: { 'drover.io/template-hash': hash }, ownerReferences: [{ kind: 'Service', name: 'web', uid: ownerUid, controller: true }] },
    spec: { template: template(cmd) },
    status: { phase: phase as 'Running' },
  };
}

const brief = (rows: ReturnType<typeof historyRows>) => rows.map((r) => [r.hash, r.template.command![2], r.live, r.finished, r.since ?? '-', r.isCurrent ? 'current' : r.isPrevious ? 'previous' : ''].join(' '));

describe('rollout history rows', () => {
  it('groups tasks by template hash, oldest first, the current template last', () => {
    const rows = historyRows(svc('v3', 'v2'), [
      task('c', 'v3', 'h3', '2024-01-03'),
      task('a', 'v1', 'h1', '2024-01-01', 'Failed'),
      task('b', 'v2', 'h2', '2024-01-02'),
      task('b2', 'v2', 'h2', '2024-01-02T01', 'Succeeded'),
      task('old', 'v0', 'h0', '2023-01-01', 'Running', 'another-uid'),
    ]);
    assert.deepEqual(brief(rows), ['h1 v1 0 1 2024-01-01 ', 'h2 v2 1 1 2024-01-02 previous', 'h3 v3 1 0 2024-01-03 current']);
  });

  it('shows the previous template with no tasks left, and a current one without tasks yet', () => {
    assert.deepEqual(brief(historyRows(svc('v2', 'v1'), [])), ['- v1 0 0 - previous', '- v2 0 0 - current']);
  });
});
