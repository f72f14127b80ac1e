// Installations: each one is rendered (packages/render.ts) into a Service of the same name in its
// namespace, owned by it (controller ownerReference) and labelled with it. A change of version or
// values changes the Service's template, which the workload controller rolls out. There is no
// generic garbage collector: a Service whose owning installation is gone (deleted, or deleted
// and recreated under a new uid) is deleted here — on the DELETED event and by a sweep of every
// installation-owned Service when the controller starts, so a delete missed while no server ran
// controllers is still carried out.
import type { Logger } from 'pino';
import { AlreadyExists, NotFound, PreconditionFailed } from '../errors.js';
import { API_VERSION, controllerOf, DEFAULT_NAMESPACE, INSTALLATION_LABEL, keyIn, type Installation, type InstallationStatus, type Package, type Service } from '../model/index.js';
import { checkValues, renderService, resolvePackage } from '../packages/render.js';
import { systemContext, type Registry } from '../registry/index.js';
import type { State } from '../state/state.js';
import type { Subscription } from '../state/watch-cache.js';
import { setCondition } from './conditions.js';
import { WorkQueue } from './work-queue.js';

export class InstallationController {
  private readonly queue: WorkQueue;
  private readonly subs: Subscription[] = [];

  constructor(
    private readonly state: State,
    /** Services are written through the registry: defaulted and validated as any client's. */
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue((keys) => this.pass(keys), (err) => log.error({ err }, 'installations pass failed'));
  }

  start(): void {
    const noop = () => {};
    this.subs.push(
      this.state.cache('installations').subscribe({}, { send: (ev) => this.queue.add(ev.key), bookmark: noop }),
      // An owned Service changed or went (a user deleted it): its installation puts it right.
      // The first events (one ADDED per existing Service) are the start-up sweep for orphans.
      this.state.cache('services').subscribe(
        {},
        {
          send: (ev, type) => {
            const svc = (type === 'DELETED' ? ev.prev?.object : ev.entry.object) as Service | undefined;
            if (svc && ownerInstallation(svc)) this.queue.add(ev.key);
          },
          bookmark: noop,
        },
      ),
      // A package added or replaced may satisfy (or change) installations of it.
      this.state.cache('packages').subscribe(
        {},
        {
          send: (ev) => {
            const pkg = ev.entry.object as Package;
            for (const inst of this.installations().list()) if (inst.spec.package === pkg.spec.package) this.queue.add(this.installations().keyOf(inst));
          },
          bookmark: noop,
        },
      ),
    );
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.close();
    this.queue.close();
  }

  /** Resolves when no pass runs or is queued (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private installations() {
    return this.state.resources<Installation>('installations');
  }

  /** Keys are "namespace/name": of an installation, and of its Service (the same). */
  private async pass(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.reconcile(key);
      } catch (err) {
        this.log.error({ err, installation: key }, 'reconciling an installation failed');
        this.queue.addAt(key, Date.now() + 2_000);
      }
    }
  }

  private async reconcile(key: string): Promise<void> {
    const inst = this.installations().get(key);
    const svc = this.state.resources<Service>('services').get(key);
    if (svc) {
      const owner = ownerInstallation(svc);
      if (owner && (!inst || owner.uid !== inst.metadata.uid || inst.metadata.deletionTimestamp)) await this.deleteService(svc, owner.uid);
    }
    if (!inst || inst.metadata.deletionTimestamp) return;
    const namespace = inst.metadata.namespace ?? DEFAULT_NAMESPACE;
    const catalog = this.state.resources<Package>('packages').list();
    const resolved = resolvePackage(catalog, inst);
    if ('error' in resolved) return this.fail(inst, 'PackageNotFound', resolved.error);
    const pkg = resolved.package;
    const checked = checkValues(pkg, inst.spec.values);
    if ('error' in checked) return this.fail(inst, 'InvalidValues', checked.error);
    const current = this.state.resources<Service>('services').get(key);
    if (current && ownerInstallation(current)?.uid !== inst.metadata.uid) {
      return this.fail(inst, 'ServiceExists', `service "${inst.metadata.name}" already exists in namespace "${namespace}" and is not this installation's: delete it, or install under another name (--name)`);
    }
    const rendered = renderService(pkg, checked.values, inst);
    const labels = { ...inst.spec.labels, [INSTALLATION_LABEL]: inst.metadata.name };
    const services = this.registry.kind<Service>('services', namespace);
    try {
      if (!current) {
        await services.create(systemContext, {
          apiVersion: API_VERSION,
          kind: 'Service',
          metadata: {
            name: inst.metadata.name,
            namespace,
            labels,
            ownerReferences: [{ kind: 'Installation', name: inst.metadata.name, uid: inst.metadata.uid, controller: true }],
          },
          spec: { replicas: rendered.replicas, template: rendered.template, ...(rendered.constraints ? { constraints: rendered.constraints } : {}) },
        });
        this.log.info({ installation: key, package: pkg.metadata.name }, 'installed');
      } else {
        // Only what the installation decides is replaced: a paused rollout or update settings stay.
        await services.update(systemContext, inst.metadata.name, (cur) => {
          const spec: Service['spec'] = { ...cur.spec, replicas: rendered.replicas, template: rendered.template };
          delete spec.constraints;
          if (rendered.constraints) spec.constraints = rendered.constraints;
          return { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, ...labels } }, spec };
        }, { uid: current.metadata.uid });
      }
    } catch (err) {
      if (err instanceof AlreadyExists || err instanceof PreconditionFailed || err instanceof NotFound) {
        // Raced with another writer of the Service: look again.
        this.queue.addAt(key, Date.now() + 200);
        return;
      }
      const message = `the rendered service is invalid: ${(err as Error).message}`;
      return this.fail(inst, 'RenderFailed', message);
    }
    await this.writeStatus(inst, (st) => ({
      ...st,
      phase: 'Installed',
      version: pkg.spec.version,
      service: inst.metadata.name,
      observedGeneration: inst.metadata.generation,
      message: `${pkg.spec.package}@${pkg.spec.version} installed as service "${inst.metadata.name}"`,
      conditions: setCondition(st.conditions, { type: 'Installed', status: 'True', reason: 'Installed', message: `service "${inst.metadata.name}" renders ${pkg.spec.package}@${pkg.spec.version}` }) ?? st.conditions,
    }));
  }

  /** Marks it Failed; the Service it made (if any) is left as it was, running the last good version. */
  private async fail(inst: Installation, reason: string, message: string): Promise<void> {
    if (inst.status?.phase !== 'Failed' || inst.status.message !== message) this.log.warn({ installation: inst.metadata.name, namespace: inst.metadata.namespace, reason, message }, 'installation failed');
    await this.writeStatus(inst, (st) => ({
      ...st,
      phase: 'Failed',
      message,
      observedGeneration: inst.metadata.generation,
      conditions: setCondition(st.conditions, { type: 'Installed', status: 'False', reason, message }) ?? st.conditions,
    }));
  }

  private async writeStatus(inst: Installation, next: (st: InstallationStatus) => InstallationStatus): Promise<void> {
    await this.installations()
      .update(this.installations().keyOf(inst), (cur) => {
        if (cur.metadata.uid !== inst.metadata.uid) return undefined;
        const status = next(cur.status ?? {});
        return JSON.stringify(status) === JSON.stringify(cur.status ?? {}) ? undefined : { ...cur, status };
      })
      .catch((err: unknown) => {
        if (!(err instanceof NotFound)) throw err;
      });
  }

  private async deleteService(svc: Service, ownerUid: string): Promise<void> {
    this.log.info({ service: keyIn(svc.metadata.namespace, svc.metadata.name), installation: ownerUid }, 'uninstalling: deleting the service of a deleted installation');
    await this.state
      .resources<Service>('services')
      .delete(this.state.resources<Service>('services').keyOf(svc), { uid: svc.metadata.uid })
      .catch((err: unknown) => {
        if (!(err instanceof NotFound || err instanceof PreconditionFailed)) throw err;
      });
  }
}

/** The installation owning a Service (its controller reference), if one does. */
function ownerInstallation(svc: Service): { name: string; uid: string } | undefined {
  const ref = controllerOf(svc);
  return ref?.kind === 'Installation' ? { name: ref.name, uid: ref.uid } : undefined;
}
