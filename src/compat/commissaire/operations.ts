// /api/v0/cluster/{name}/deploy|upgrade|restart: GET the newest Operation of that type on the
// cluster in Commissaire's record (clusterexec's ClusterDeploy/Upgrade/Restart), PUT starts one.
// Commissaire's clusterexec leaves a host that failed in in_process and never adds it to the
// finished list; the mapping of step phases does the same.
import type { ClusterOperationType, Operation, OperationStep } from '../../model/index.js';
import { requireCluster } from './clusters.js';
import type { CommissaireDoor } from './door.js';
import { badRequest, commissaireDate, notFound } from './wire.js';

export const OPERATION_PATHS = { deploy: 'ClusterDeploy', upgrade: 'ClusterUpgrade', restart: 'ClusterRestart' } as const satisfies Record<string, ClusterOperationType>;
export type OperationPath = keyof typeof OPERATION_PATHS;

/** The key of the finished hosts' list in each record. */
const FINISHED_KEY: Record<OperationPath, string> = { deploy: 'deployed', upgrade: 'upgraded', restart: 'restarted' };

export function operationRecord(path: OperationPath, op: Operation): Record<string, unknown> {
  const steps = op.status?.steps ?? [];
  const addresses = (keep: (s: OperationStep) => boolean) => steps.filter(keep).map((s) => s.address ?? s.name);
  const phase = op.status?.phase ?? 'Pending';
  const finished = addresses((s) => s.phase === 'Succeeded' || s.phase === 'Skipped');
  const inProcess = addresses((s) => s.phase === 'Running' || s.phase === 'Failed');
  return {
    name: op.spec.target?.name ?? '',
    status: phase === 'Succeeded' ? 'finished' : phase === 'Failed' ? 'failed' : 'in_process',
    // The model's key order: version comes right after status in ClusterDeploy.
    ...(path === 'deploy' ? { version: String(op.spec.params?.version ?? '') } : {}),
    [FINISHED_KEY[path]]: finished,
    in_process: inProcess,
    started_at: commissaireDate(op.status?.startedAt ?? op.metadata.createdAt),
    finished_at: commissaireDate(op.status?.finishedAt),
  };
}

/** The newest operation of this type on the cluster, else 404 (no record in Commissaire's store). */
export async function getOperation(door: CommissaireDoor, path: OperationPath, cluster: string): Promise<Record<string, unknown>> {
  await requireCluster(door, cluster);
  const ops = door.registry.kind<Operation>('operations').list(door.ctx, {
    fields: [
      { field: 'spec.type', op: '=', value: OPERATION_PATHS[path] },
      { field: 'spec.target.name', op: '=', value: cluster },
    ],
  });
  const newest = ops.reduce<Operation | undefined>((a, b) => (!a || newer(b, a) ? b : a), undefined);
  if (!newest) throw notFound(`no ${path} of cluster "${cluster}"`);
  return operationRecord(path, newest);
}

function newer(a: Operation, b: Operation): boolean {
  const at = (o: Operation) => o.metadata.createdAt ?? '';
  return at(a) > at(b) || (at(a) === at(b) && (a.metadata.revision ?? 0) > (b.metadata.revision ?? 0));
}

/** create_cluster_*: the cluster must exist (404); a deploy needs a version, a non-empty string (400). */
export async function startOperation(door: CommissaireDoor, path: OperationPath, cluster: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  let version: string | undefined;
  if (path === 'deploy') {
    if (typeof params.version !== 'string' || params.version === '') throw badRequest('version must be a non empty string');
    version = params.version;
  }
  await requireCluster(door, cluster);
  const op = await door.registry.kind<Operation>('operations').create(door.ctx, {
    metadata: {},
    spec: { type: OPERATION_PATHS[path], target: { kind: 'Cluster', name: cluster }, ...(version !== undefined ? { params: { version } } : {}) },
  });
  return operationRecord(path, op);
}
