// What the agent serves of a dataset it holds: its content as a tar stream, only while a move
// out of this machine is open and nothing here uses it (the server checked that the caller is
// the new primary; this checks that the bytes are not changing under the stream).
import type { Readable } from 'node:stream';
import type { DatasetBackend } from '../../model/index.js';
import type { DatasetStore } from './backend.js';
import { datasetKey, type LocalDatasets } from './local-datasets.js';
import { packDataset } from './tar-send.js';

export class ContentRefused extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ContentSource {
  content(id: string): Readable;
}

export function contentSource(machine: string, local: LocalDatasets, stores: Partial<Record<DatasetBackend, DatasetStore>>, bytesPerSecond?: number): ContentSource {
  return {
    content(id) {
      if (!local.synced) throw new ContentRefused(503, `the agent of machine ${machine} has not listed the datasets yet; try again`);
      const ds = local.byId(id);
      if (!ds) throw new ContentRefused(404, `dataset ${id} is not known on machine ${machine}`);
      const key = datasetKey(ds);
      const move = ds.status?.move;
      if (ds.status?.machine !== machine) throw new ContentRefused(409, `machine ${machine} does not hold dataset "${ds.metadata.name}" (${ds.status?.machine ?? 'nobody'} does)`);
      if (!move || move.from !== machine || (move.phase !== 'Sending' && move.phase !== 'Verifying') || !local.isLeaving(key)) {
        throw new ContentRefused(409, `dataset "${ds.metadata.name}" is not being sent from machine ${machine} (move ${move ? move.phase : 'none'}); set its primary to move it`);
      }
      if (local.usersOf(key).length) throw new ContentRefused(409, `dataset "${ds.metadata.name}" is still used by a task on machine ${machine}`);
      const store = stores[ds.spec.backend ?? 'directory'];
      if (!store) throw new ContentRefused(409, `machine ${machine} cannot read ${ds.spec.backend} datasets`);
      return packDataset(store.path(id), { bytesPerSecond, skipAtRoot: store.skipAtRoot });
    },
  };
}
