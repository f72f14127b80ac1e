// /configuration/containers and /state/containers over native Services: a container is a
// Service of one replica whose template runs an image (the container driver), pinned to the
// node's machine (constraints.machine); moving it re-pins it and stops the task bound elsewhere. What the native template has no
// field for (ports, links, CPU shares, memory limit, swappiness, a retry count) is kept as given
// in an annotation, so the configuration reads back as it was written.
import { ApiError } from '../../errors.js';
import type { Dataset, Service, Task } from '../../model/index.js';
import type { FlockerDoor } from './door.js';
import { native } from './native.js';
import { machineOfNode, nodeUuid } from './nodes.js';
import {
  badRequest,
  FlockerError,
  CONTAINER_NAME_COLLISION,
  CONTAINER_NOT_FOUND,
  CONTAINER_PORT_COLLISION,
  DATASET_IN_USE,
  DATASET_NOT_FOUND,
  DATASET_ON_DIFFERENT_NODE,
  LINK_ALIAS_COLLISION,
  LINK_PORT_COLLISION,
} from './wire.js';

export const EXTRAS_ANNOTATION = 'flocker.clusterhq.com/container';

export interface ContainerInput {
  node_uuid: string;
  name: string;
  image: string;
  ports?: { internal?: number; external?: number }[];
  environment?: Record<string, string>;
  restart_policy?: { name: 'never' | 'always' | 'on-failure'; maximum_retry_count?: number };
  command_line?: string[];
  swappiness?: number;
  volumes?: { dataset_id: string; mountpoint: string }[];
  cpu_shares?: number;
  memory_limit?: number;
  links?: { alias: string; local_port: number; remote_port: number }[];
}

type Extras = Pick<ContainerInput, 'ports' | 'links' | 'cpu_shares' | 'memory_limit' | 'swappiness' | 'restart_policy'> & { volumes?: ContainerInput['volumes'] };

const servicesOf = (door: FlockerDoor) => door.registry.kind<Service>('services', door.namespace);

export function isContainer(svc: Service): boolean {
  return svc.spec.template.image !== undefined && svc.spec.constraints?.machine !== undefined;
}

export function containerServices(door: FlockerDoor): Service[] {
  return servicesOf(door)
    .list(door.ctx)
    .filter(isContainer)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

function extrasOf(svc: Service): Extras {
  try {
    return JSON.parse(svc.metadata.annotations?.[EXTRAS_ANNOTATION] ?? '{}') as Extras;
  } catch {
    return {};
  }
}

/** Docker's name for an image: a tag, "latest" when none is given (Flocker's DockerImage.full_name). */
export function fullImageName(image: string): string {
  const last = image.slice(image.lastIndexOf('/') + 1);
  return last.includes(':') || last.includes('@') ? image : `${image}:latest`;
}

/** Flocker's view of a container's configuration (container_configuration_response). */
export function containerOf(svc: Service, machine = svc.spec.constraints!.machine!): Record<string, unknown> {
  const t = svc.spec.template;
  const x = extrasOf(svc);
  const env = Array.isArray(t.env) ? Object.fromEntries(t.env.flatMap((e) => (e.value !== undefined ? [[e.name, e.value]] : []))) : (t.env ?? {});
  return {
    node_uuid: nodeUuid(machine),
    name: svc.metadata.name,
    image: fullImageName(t.image!),
    ...(x.ports?.length ? { ports: x.ports } : {}),
    ...(x.links?.length ? { links: x.links } : {}),
    ...(Object.keys(env).length ? { environment: env } : {}),
    ...(x.volumes?.length ? { volumes: x.volumes } : {}),
    restart_policy: x.restart_policy ?? { name: t.restartPolicy ?? 'never' },
    ...(x.cpu_shares !== undefined ? { cpu_shares: x.cpu_shares } : {}),
    ...(x.memory_limit !== undefined ? { memory_limit: x.memory_limit } : {}),
    ...(t.args !== undefined ? { command_line: t.args } : {}),
  };
}

async function findContainer(door: FlockerDoor, name: string): Promise<Service | undefined> {
  try {
    const svc = await servicesOf(door).find(door.ctx, name);
    return svc && isContainer(svc) ? svc : undefined;
  } catch (err) {
    // A name the native API cannot hold is no container Flocker knows.
    if (err instanceof ApiError && err.code === 400) return undefined;
    throw err;
  }
}

/** POST /configuration/containers: Flocker's checks, in its order, then the Service. */
export async function createContainer(door: FlockerDoor, input: ContainerInput): Promise<Record<string, unknown>> {
  if (await native(() => servicesOf(door).find(door.ctx, input.name).catch(passBadName))) throw CONTAINER_NAME_COLLISION();
  const machine = machineOfNode(door, input.node_uuid)?.metadata.name;
  // Flocker places a container on any node UUID it is given; drover pins to a machine, so the node must be one.
  if (!machine) throw badRequest('The provided node_uuid is not part of the cluster.');
  const volume = input.volumes?.[0];
  if (volume) checkVolume(door, volume.dataset_id, machine);
  const others = containerServices(door);
  for (const p of input.ports ?? []) {
    if (others.some((s) => extrasOf(s).ports?.some((q) => q.external === p.external))) throw CONTAINER_PORT_COLLISION();
  }
  const aliases = new Set<string>();
  const localPorts = new Set<number>();
  for (const link of input.links ?? []) {
    if (aliases.has(link.alias)) throw LINK_ALIAS_COLLISION();
    if (localPorts.has(link.local_port)) throw LINK_PORT_COLLISION();
    aliases.add(link.alias);
    localPorts.add(link.local_port);
  }
  const created = await native(() => servicesOf(door).create(door.ctx, serviceOf(door, input, machine)));
  return containerOf(created);
}

function passBadName(err: unknown): undefined {
  if (err instanceof ApiError && err.code === 400) return undefined;
  throw err;
}

function checkVolume(door: FlockerDoor, datasetId: string, machine: string): void {
  const datasets = door.registry.kind<Dataset>('datasets', door.namespace).list(door.ctx, { fields: [{ field: 'spec.id', op: '=', value: datasetId }] });
  const live = datasets.find((d) => !d.spec.deleted);
  if (!live) throw DATASET_NOT_FOUND();
  if (live.spec.primary !== machine) throw DATASET_ON_DIFFERENT_NODE();
  if (containerServices(door).some((s) => extrasOf(s).volumes?.some((v) => v.dataset_id === datasetId))) throw DATASET_IN_USE();
}

/** The Service that runs container `input` on `machine` (creation, and _compose's replacement). */
export function serviceOf(door: FlockerDoor, input: Omit<ContainerInput, 'node_uuid'>, machine: string): { metadata: { name: string; annotations: Record<string, string> }; spec: Service['spec'] } {
  const extras: Extras = {
    ...(input.ports ? { ports: input.ports } : {}),
    ...(input.links ? { links: input.links } : {}),
    ...(input.volumes?.length ? { volumes: input.volumes } : {}),
    ...(input.cpu_shares !== undefined ? { cpu_shares: input.cpu_shares } : {}),
    ...(input.memory_limit !== undefined ? { memory_limit: input.memory_limit } : {}),
    ...(input.swappiness !== undefined ? { swappiness: input.swappiness } : {}),
    ...(input.restart_policy ? { restart_policy: input.restart_policy } : {}),
  };
  const volume = input.volumes?.[0];
  const datasetName = volume && door.registry.kind<Dataset>('datasets', door.namespace).list(door.ctx, { fields: [{ field: 'spec.id', op: '=', value: volume.dataset_id }] })[0]?.metadata.name;
  return {
    metadata: { name: input.name, annotations: { [EXTRAS_ANNOTATION]: JSON.stringify(extras) } },
    spec: {
      replicas: 1,
      desiredState: 'running',
      template: {
        driver: 'container',
        image: input.image,
        ...(input.command_line ? { args: input.command_line } : {}),
        ...(input.environment ? { env: input.environment } : {}),
        restartPolicy: input.restart_policy?.name ?? 'never',
        ...(volume && datasetName ? { volumes: [{ dataset: datasetName, path: volume.mountpoint }] } : {}),
      },
      constraints: { machine },
    },
  };
}

/** POST /configuration/containers/{name}: re-pins the container to the node's machine. */
export async function moveContainer(door: FlockerDoor, name: string, nodeUuidInput: string): Promise<Record<string, unknown>> {
  const svc = await findContainer(door, name);
  if (!svc) throw CONTAINER_NOT_FOUND();
  const machine = machineOfNode(door, nodeUuidInput)?.metadata.name;
  if (!machine) throw badRequest('The provided node_uuid is not part of the cluster.');
  const moved = await native(() =>
    servicesOf(door).update(
      door.ctx,
      name,
      (cur) => (cur.spec.constraints?.machine === machine ? undefined : { ...cur, spec: { ...cur.spec, constraints: { ...cur.spec.constraints, machine } } }),
      { uid: svc.metadata.uid },
    ),
  );
  // A pin is read when a task is placed, so the tasks bound elsewhere are stopped (as a user
  // would delete them) and the service puts their replacement on the new machine.
  const tasks = door.registry.kind<Task>('tasks', door.namespace);
  for (const t of tasks.list(door.ctx)) {
    const owned = t.metadata.ownerReferences?.some((o) => o.uid === moved.metadata.uid);
    if (owned && t.spec.machine && t.spec.machine !== machine && !t.metadata.deletionTimestamp) {
      await native(() => tasks.delete(door.ctx, t.metadata.name, { uid: t.metadata.uid })).catch((err: unknown) => {
        if (!(err instanceof FlockerError && err.code === 404)) throw err;
      });
    }
  }
  return containerOf(moved);
}

export async function deleteContainer(door: FlockerDoor, name: string): Promise<void> {
  const svc = await findContainer(door, name);
  if (!svc) throw CONTAINER_NOT_FOUND();
  await native(() => servicesOf(door).delete(door.ctx, name, { uid: svc.metadata.uid }));
}

/** GET /state/containers: each container's task where it is bound, and whether it runs. */
export function containerStates(door: FlockerDoor): Record<string, unknown>[] {
  const tasks = door.registry.kind<Task>('tasks', door.namespace).list(door.ctx);
  const out: Record<string, unknown>[] = [];
  for (const svc of containerServices(door)) {
    for (const t of tasks) {
      const owned = t.metadata.ownerReferences?.some((o) => o.uid === svc.metadata.uid);
      if (!owned || !t.spec.machine || t.metadata.deletionTimestamp) continue;
      out.push({ ...containerOf(svc, t.spec.machine), running: t.status?.phase === 'Running' });
    }
  }
  return out;
}
