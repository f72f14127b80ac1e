// A move survives kill -9 of either end and of the server: each time it completes or rolls back,
// and every byte is on the machine status.machine names (never a half copy, never two live
// ones). Sends are paced by the agents' test-only knob so the move is in flight when the kill lands.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../../src/client/client.js';
import { until } from '../helpers.js';
import { startCluster, type Cluster } from './cluster.js';
import { fillTree, fingerprint, heldOn } from './dataset-files.js';

// 8 MB at 2 MB/s: about four seconds in flight.
const PACED = { DROVER_TEST_DATASET_SEND_BPS: String(2 * 1024 * 1024) };

describe('a dataset move under faults', () => {
  let c: Cluster;
  let expected: string;
  before(async () => {
    // The server is a child process, so that it too can be killed with SIGKILL mid-move.
    c = await startCluster(0, { secure: true, serverProcess: true });
    await c.startAgent(0, { env: PACED });
    await c.startAgent(1, { env: PACED });
    await c.client.datasets.create({ metadata: { name: 'precious' }, spec: { primary: c.agents[0]!.id } });
    const ds = await heldOn(c.client, 'precious', c.agents[0]!.id);
    fillTree(ds.status!.path!, 8);
    expected = fingerprint(ds.status!.path!);
  });
  after(() => c.close());

  /** Starts a move to agent `to` and resolves once bytes are flowing (the target reported progress). */
  const moveUnderWay = async (to: number): Promise<Dataset> => {
    await c.client.datasets.patch('precious', { spec: { primary: c.agents[to]!.id } });
    return until(async () => {
      const d = await c.client.datasets.get('precious');
      return d.status?.move?.phase === 'Sending' && d.status.move.bytesDone > 0 && d;
    }, 'the move to be sending', 20_000);
  };

  /** The move finished on agent `to`: identical bytes there, nothing left on `from` (no copy, no staging). */
  const landedOn = async (to: number, from: number): Promise<Dataset> => {
    const ds = await heldOn(c.client, 'precious', c.agents[to]!.id, 60_000);
    assert.equal(fingerprint(ds.status!.path!), expected, 'every byte arrived');
    const fromCopy = join(c.agents[from]!.dataDir, 'datasets', ds.spec.id!);
    await until(() => !existsSync(fromCopy), 'the source copy to be removed', 20_000);
    assert.deepEqual(readdirSync(join(c.agents[to]!.dataDir, 'datasets', '.staging')), []);
    return ds;
  };

  it('kill -9 of the source mid-move: its copy stays live, and the move completes when it is back', async () => {
    await moveUnderWay(1);
    const source = c.agents[0]!;
    await source.kill9();
    const during = await c.client.datasets.get('precious');
    assert.equal(during.status?.machine, source.id, 'the source still holds the live copy');
    assert.equal(fingerprint(join(source.dataDir, 'datasets', during.spec.id!)), expected, 'and it is whole');
    await c.startAgent(0, { id: source.id, dataDir: source.dataDir, env: PACED });
    const ds = await landedOn(1, 0);
    assert.ok((ds.status?.move ?? null) === null);
  });

  it('kill -9 of the target mid-move: it discards its partial copy on restart and tries again', async () => {
    const underWay = await moveUnderWay(0);
    const target = c.agents[0]!;
    await target.kill9();
    const during = await c.client.datasets.get('precious');
    assert.equal(during.status?.machine, c.agents[1]!.id, 'the source still holds the live copy');
    assert.equal(fingerprint(underWay.status!.path!), expected, 'and it is whole');
    await c.startAgent(0, { id: target.id, dataDir: target.dataDir, env: PACED });
    await landedOn(0, 1);
  });

  it('kill -9 of the server mid-move: the move completes once it is back', async () => {
    await moveUnderWay(1);
    await c.server.restart(); // SIGKILL, then a new server on the same store and port
    const during = await c.client.datasets.get('precious');
    assert.equal(during.status?.machine, c.agents[0]!.id, 'the source still holds the live copy');
    await landedOn(1, 0);
  });

  it('the primary changed back mid-move: the target discards what it got, the source keeps the live copy', async () => {
    const underWay = await moveUnderWay(0);
    await c.client.datasets.patch('precious', { spec: { primary: c.agents[1]!.id } });
    const ds = await heldOn(c.client, 'precious', c.agents[1]!.id);
    assert.equal(ds.status?.path, underWay.status?.path, 'the same live copy');
    assert.equal(fingerprint(ds.status!.path!), expected);
    const other = c.agents[0]!;
    await until(() => readdirSync(join(other.dataDir, 'datasets', '.staging')).length === 0 && !existsSync(join(other.dataDir, 'datasets', ds.spec.id!)), 'the target to discard its partial copy', 20_000);
  });
});
