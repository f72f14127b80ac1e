import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClusterIdentity } from './cluster-identity.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'drover-identity-')), 'cluster.json');

describe('the cluster an agent belongs to', () => {
  it('is learned from the first server it meets, and remembered across restarts', () => {
    const f = file();
    assert.equal(new ClusterIdentity(f).check('c1', 10), undefined);
    assert.equal(JSON.parse(readFileSync(f, 'utf8')).id, 'c1');
    assert.equal(new ClusterIdentity(f).id, 'c1');
  });

  it('refuses another cluster, and a store that went back in time, unless told to accept a new one', () => {
    const f = file();
    const id = new ClusterIdentity(f);
    id.check('c1', 5_000);
    assert.match(id.check('c2', 6_000)!, /answers for cluster c2, but this agent belongs to cluster c1/);
    assert.equal(id.check('c1', 4_500), undefined, 'a little behind: another server\'s cache');
    assert.match(id.check('c1', 3_000)!, /revision 3000, behind the revision 5000/);
    const accepting = new ClusterIdentity(f, true);
    assert.equal(accepting.check('c2', 1), undefined);
    assert.equal(accepting.id, 'c2');
    assert.match(accepting.check('c1', 9_000)!, /belongs to cluster c2/, 'accepted once, not for ever');
  });
});
