// Every dataset status write an agent makes is a compare-and-swap on the revision it decided
// from: a decision taken on a dataset that has changed since (its primary moved back, the
// other end committed) must not land. A refused write refreshes the local view instead.
import type { Client } from '../../client/client.js';
import type { Dataset, DatasetStatus } from '../../model/index.js';
import type { LocalDatasets } from './local-datasets.js';

export class DatasetStatusWriter {
  constructor(
    private readonly client: Client,
    private readonly local: LocalDatasets,
  ) {}

  /** Writes `status` over `ds`'s if `ds` is still current; the new version, or undefined when it was not (the local view is refreshed). */
  async write(ds: Dataset, status: DatasetStatus): Promise<Dataset | undefined> {
    const datasets = this.client.datasets.in(ds.metadata.namespace);
    try {
      const next = await datasets.replaceStatus(ds.metadata.name, clean(status), { ifMatch: ds.metadata.revision });
      this.local.set(next);
      return next;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 409 && code !== 412 && code !== 404) throw err;
      await this.refresh(ds);
      return undefined;
    }
  }

  /** The server's current version of `ds` into the local view; undefined when it is gone. */
  async refresh(ds: Dataset): Promise<Dataset | undefined> {
    const fresh = await this.client.datasets.in(ds.metadata.namespace).find(ds.metadata.name);
    if (fresh) this.local.set(fresh);
    return fresh;
  }
}

/** Without the keys set to undefined (JSON would drop them anyway; this keeps comparisons honest). */
function clean(status: DatasetStatus): DatasetStatus {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined)) as DatasetStatus;
}
