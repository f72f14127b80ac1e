// POST /configuration/_compose: flocker-deploy's private route. It replaces the whole container
// configuration with the applications of a Flocker (version 1) or Fig/Compose file, placed on the
// nodes a deployment file names by IPv4 address (_config.py: FigConfiguration,
// FlockerConfiguration, deployment_from_configuration). Containers it does not name are removed.
// Supported: image, environment, ports, restart_policy, cpu_shares, mem_limit (Flocker format);
// image, environment, ports, mem_limit (Fig). Volumes and links are refused with a clear error
// rather than dropped: drover would not honour them.
import { isIPv4 } from 'node:net';
import type { Service } from '../../model/index.js';
import { containerServices, serviceOf, type ContainerInput } from './containers.js';
import type { FlockerDoor } from './door.js';
import { native } from './native.js';
import { machines } from './nodes.js';
import { badRequest } from './wire.js';

type App = Omit<ContainerInput, 'node_uuid'>;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const configError = (message: string) => badRequest(message);
const pyType = (v: unknown) => (v === null ? 'NoneType' : Array.isArray(v) ? 'list' : typeof v === 'string' ? 'unicode' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'boolean' ? 'bool' : 'dict');

export async function replaceConfiguration(door: FlockerDoor, applications: Obj, deployment: Obj): Promise<null> {
  const apps = isFig(applications) ? figApps(applications) : flockerApps(applications);
  const placed = placement(door, deployment, apps);
  const services = door.registry.kind<Service>('services', door.namespace);
  const current = new Map(containerServices(door).map((s) => [s.metadata.name, s]));
  for (const [name, svc] of current) if (!placed.has(name)) await native(() => services.delete(door.ctx, name, { uid: svc.metadata.uid }));
  for (const [name, { app, machine }] of placed) {
    const body = serviceOf(door, app, machine);
    const existing = current.get(name);
    if (existing) await native(() => services.update(door.ctx, name, (cur) => ({ ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, ...body.metadata.annotations } }, spec: body.spec }), { uid: existing.metadata.uid }));
    else await native(() => services.create(door.ctx, body));
  }
  return null;
}

/** Fig's mark: some application is a mapping with exactly one of image and build. */
function isFig(config: Obj): boolean {
  let fig = false;
  for (const [name, app] of Object.entries(config)) {
    if (!isObj(app)) continue;
    const ids = ['image', 'build'].filter((k) => k in app).length;
    if (ids === 1) fig = true;
    else if (ids > 1) throw configError(`Application '${name}' has a config error. Must specify either 'build' or 'image'; found both.`);
  }
  return fig;
}

/** Keys of Flocker's formats that drover does not carry out: refused by name, not as unknown. */
const UNSUPPORTED = ['volume', 'volumes', 'links', 'build'];

function checkKeys(name: string, app: unknown, allowed: string[]): Obj {
  if (!isObj(app)) throw configError(`Application '${name}' has a config error. Application configuration must be dictionary; got type '${pyType(app)}'.`);
  const unsupported = Object.keys(app).filter((k) => UNSUPPORTED.includes(k));
  if (unsupported.length) {
    throw configError(`Application '${name}' has a config error. Not supported here: ${unsupported.sort().join(', ')}; create datasets and attach them with POST /v1/configuration/containers instead.`);
  }
  const unknown = Object.keys(app).filter((k) => !allowed.includes(k));
  if (unknown.length) throw configError(`Application '${name}' has a config error. Unrecognised keys: ${unknown.sort().join(', ')}.`);
  if (!('image' in app)) throw configError(`Application '${name}' has a config error. Missing 'image' key.`);
  if (typeof app.image !== 'string') throw configError(`Application '${name}' has a config error. Invalid Docker image name.`);
  return app;
}

function environment(name: string, env: unknown): Record<string, string> | undefined {
  if (env === undefined) return undefined;
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => String(e).split(/=(.*)/s).slice(0, 2) as [string, string]));
  if (!isObj(env) || Object.values(env).some((v) => typeof v !== 'string')) throw configError(`Application '${name}' has a config error. 'environment' must be a dictionary of key/value pairs; got type '${pyType(env)}'.`);
  return env as Record<string, string>;
}

function flockerApps(config: Obj): Map<string, App> {
  if (!('applications' in config)) throw configError("Application configuration has an error. Missing 'applications' key.");
  if (!('version' in config)) throw configError("Application configuration has an error. Missing 'version' key.");
  if (config.version !== 1) throw configError('Application configuration has an error. Incorrect version specified.');
  if (!isObj(config.applications)) throw configError(`Application configuration must be a dictionary, got ${pyType(config.applications)}.`);
  const out = new Map<string, App>();
  for (const [name, raw] of Object.entries(config.applications)) {
    const app = checkKeys(name, raw, ['image', 'environment', 'ports', 'restart_policy', 'cpu_shares', 'mem_limit']);
    const ports = app.ports as { internal: number; external: number }[] | undefined;
    if (ports !== undefined && (!Array.isArray(ports) || ports.some((p) => !isObj(p) || typeof p.internal !== 'number' || typeof p.external !== 'number'))) {
      throw configError(`Application '${name}' has a config error. Invalid ports specification. Ports must be a list of mappings with internal and external integers.`);
    }
    const policy = app.restart_policy as ContainerInput['restart_policy'];
    if (policy !== undefined && (!isObj(policy) || !['never', 'always', 'on-failure'].includes(String(policy.name)))) {
      throw configError(`Application '${name}' has a config error. Invalid 'restart_policy' name '${isObj(policy) ? String(policy.name) : String(policy)}'. Use one of: always, never, on-failure`);
    }
    out.set(name, {
      name,
      image: app.image as string,
      ...(environment(name, app.environment) ? { environment: environment(name, app.environment) } : {}),
      ...(ports ? { ports } : {}),
      ...(policy ? { restart_policy: policy } : {}),
      ...(typeof app.cpu_shares === 'number' ? { cpu_shares: app.cpu_shares } : {}),
      ...(typeof app.mem_limit === 'number' ? { memory_limit: app.mem_limit } : {}),
    });
  }
  return out;
}

function figApps(config: Obj): Map<string, App> {
  const out = new Map<string, App>();
  for (const [name, raw] of Object.entries(config)) {
    const app = checkKeys(name, raw, ['image', 'environment', 'ports', 'mem_limit']);
    const ports = (app.ports as unknown[] | undefined)?.map((p) => {
      const [external, internal] = String(p).split(':').map(Number);
      if (!Number.isInteger(external) || !Number.isInteger(internal)) throw configError(`Application '${name}' has a config error. 'ports' value '${String(p)}' could not be parsed in to integer values.`);
      return { internal: internal!, external: external! };
    });
    out.set(name, {
      name,
      image: app.image as string,
      ...(environment(name, app.environment) ? { environment: environment(name, app.environment) } : {}),
      ...(ports ? { ports } : {}),
      ...(typeof app.mem_limit === 'number' ? { memory_limit: app.mem_limit } : {}),
    });
  }
  return out;
}

/** Each application on the machine whose address the deployment file gives for it. */
function placement(door: FlockerDoor, deployment: Obj, apps: Map<string, App>): Map<string, { app: App; machine: string }> {
  if (!('nodes' in deployment)) throw configError("Deployment configuration has an error. Missing 'nodes' key.");
  if (!('version' in deployment)) throw configError("Deployment configuration has an error. Missing 'version' key.");
  if (deployment.version !== 1) throw configError('Deployment configuration has an error. Incorrect version specified.');
  const byAddress = new Map(machines(door).flatMap((m) => (m.status?.address ? [[m.status.address, m.metadata.name] as const] : [])));
  const out = new Map<string, { app: App; machine: string }>();
  for (const [host, names] of Object.entries(isObj(deployment.nodes) ? deployment.nodes : {})) {
    if (!isIPv4(host)) throw configError(`Node "${host}" specified, but deployment configuration expects an IPv4 address.`);
    if (!Array.isArray(names)) throw configError(`Node ${host} has a config error. Wrong value type: ${pyType(names)}. Should be list.`);
    for (const name of names as string[]) {
      if (out.has(name)) throw configError(`Application '${name}' appears more than once.`);
      const app = apps.get(name);
      if (!app) throw configError(`Node ${host} has a config error. Unrecognised application name: ${name}.`);
      const machine = byAddress.get(host);
      if (!machine) throw configError(`No known node with address ${host}.`);
      out.set(name, { app, machine });
    }
  }
  return out;
}
