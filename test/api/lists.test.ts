// Lists: the list envelope, paging from one snapshot, label and field selectors, and the 400s
// that name the bad parameter.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { http } from '../helpers.js';
import { assertError, createService, createTask, MERGE, send, storeRevision, useApiServer } from './support.js';

const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);

/** Creates m00…m{n-1} in a shuffled order, so name order is not creation order. */
async function createMachines(base: string, n: number): Promise<string[]> {
  const all = Array.from({ length: n }, (_, i) => `m${String(i).padStart(2, '0')}`);
  const shuffled = [...all].sort((a, b) => ((a.charCodeAt(2) * 7 + a.charCodeAt(1)) % 11) - ((b.charCodeAt(2) * 7 + b.charCodeAt(1)) % 11));
  for (const name of shuffled) {
    const res = await send(`${base}/api/v1/machines`, 'POST', { metadata: { name, labels: { n: name } } });
    assert.equal(res.status, 201, res.text);
  }
  return all;
}

async function list(url: string): Promise<any> {
  const res = await http(url);
  assert.equal(res.status, 200, res.text);
  return res.json();
}

describe('lists: paging', () => {
  const s = useApiServer();
  let all: string[];
  before(async () => {
    all = await createMachines(s.url, 25);
  });

  it('a list answers the list envelope, items in name order, at the current revision', async () => {
    const l = await list(`${s.api}/machines`);
    assert.equal(l.apiVersion, 'drover/v1');
    assert.equal(l.kind, 'MachineList');
    assert.equal(l.metadata.revision, await storeRevision(s.url));
    assert.equal(l.metadata.nextPageToken, undefined);
    assert.deepEqual(names(l), all);
    assert.deepEqual(l.items[0], (await http(`${s.api}/machines/m00`)).json());
  });

  it('limit and nextPageToken page through every object once, in name order', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let url = `${s.api}/machines?limit=10`;
    let revision: number | undefined;
    for (;;) {
      const page = await list(url);
      revision ??= page.metadata.revision;
      assert.equal(page.metadata.revision, revision, 'every page is from the same snapshot');
      seen.push(...names(page));
      sizes.push(page.items.length);
      if (!page.metadata.nextPageToken) break;
      url = `${s.api}/machines?limit=10&pageToken=${encodeURIComponent(page.metadata.nextPageToken)}`;
    }
    assert.deepEqual(sizes, [10, 10, 5]);
    assert.deepEqual(seen, all);
  });

  it('a later page is served from the snapshot of the first, whatever was written in between', async () => {
    const snapshot = await list(`${s.api}/machines`);
    const first = await list(`${s.api}/machines?limit=10`);
    assert.equal(first.metadata.revision, snapshot.metadata.revision);
    // Writes that would change the second page if it were read from the present.
    assert.equal((await http(`${s.api}/machines/m12`, { method: 'DELETE' })).status, 200);
    assert.equal((await send(`${s.api}/machines`, 'POST', { metadata: { name: 'm105' } })).status, 201);
    assert.equal((await send(`${s.api}/machines/m15`, 'PATCH', { metadata: { labels: { n: 'changed' } } }, MERGE)).status, 200);
    assert.equal((await send(`${s.api}/machines`, 'POST', { metadata: { name: 'a-first' } })).status, 201);
    assert.ok((await storeRevision(s.url)) > snapshot.metadata.revision);

    const second = await list(`${s.api}/machines?limit=10&pageToken=${first.metadata.nextPageToken}`);
    assert.equal(second.metadata.revision, snapshot.metadata.revision);
    assert.deepEqual(second.items, snapshot.items.slice(10, 20));
    const third = await list(`${s.api}/machines?limit=10&pageToken=${second.metadata.nextPageToken}`);
    assert.deepEqual(third.items, snapshot.items.slice(20));
    assert.equal(third.metadata.nextPageToken, undefined);

    // A new list sees the present.
    const now = names(await list(`${s.api}/machines`));
    assert.ok(now.includes('m105') && now.includes('a-first') && !now.includes('m12'));
  });

  it('an invalid pageToken answers 400 naming pageToken', async () => {
    const future = Buffer.from(JSON.stringify({ r: 1_000_000, k: 'm05' })).toString('base64url');
    const zero = Buffer.from(JSON.stringify({ r: 0, k: 'm05' })).toString('base64url');
    const noKey = Buffer.from(JSON.stringify({ r: 3 })).toString('base64url');
    for (const token of ['garbage', '!!!', future, zero, noKey]) {
      assertError(await http(`${s.api}/machines?limit=5&pageToken=${encodeURIComponent(token)}`), 400, 'BadRequest', 'pageToken');
    }
  });

  for (const [param, value] of [
    ['limit', 'ten'],
    ['limit', '-1'],
    ['limit', '2.5'],
    ['limit', '1e3'],
    ['revision', 'latest'],
    ['revision', '99999999'],
    ['watch', 'perhaps'],
  ]) {
    it(`${param}=${value} answers 400 naming ${param}`, async () => {
      assertError(await http(`${s.api}/machines?${param}=${value}`), 400, 'BadRequest', param);
    });
  }

  it('a parameter given twice answers 400 naming it', async () => {
    assertError(await http(`${s.api}/machines?limit=1&limit=2`), 400, 'BadRequest', 'limit');
  });

  it('limit=0 means no limit', async () => {
    const l = await list(`${s.api}/machines?limit=0`);
    assert.equal(l.metadata.nextPageToken, undefined);
    assert.equal(l.items.length, (await list(`${s.api}/machines`)).items.length);
  });
});

describe('lists: an expired snapshot', () => {
  const s = useApiServer({ controllers: true }); // a Compact operation, run by a controller, expires the snapshot

  it('a page token whose snapshot has been compacted answers 410 Gone', async () => {
    await createMachines(s.url, 6);
    const first = await list(`${s.url}/api/v1/machines?limit=3`);
    assert.ok(first.metadata.nextPageToken);
    assert.equal((await send(`${s.url}/api/v1/machines`, 'POST', { metadata: { name: 'later' } })).status, 201);
    const revision = await storeRevision(s.url);
    const op = await send(`${s.url}/api/v1/operations?wait=10s`, 'POST', { spec: { type: 'Compact', params: { revision } } });
    assert.equal(op.status, 201, op.text);
    assert.equal(op.json().status.phase, 'Succeeded', op.text);
    assertError(await http(`${s.url}/api/v1/machines?limit=3&pageToken=${first.metadata.nextPageToken}`), 410, 'Gone', 'without pageToken');
  });
});

describe('lists: selectors', () => {
  const s = useApiServer();
  before(async () => {
    await createService(s.url, 's-a', { labels: { app: 'web', tier: 'front' } });
    await createService(s.url, 's-b', { labels: { app: 'web', tier: 'back' } });
    await createService(s.url, 's-c', { labels: { app: 'db' } });
    await createService(s.url, 's-d');
    await createTask(s.url, 't1', 'm1');
    await createTask(s.url, 't2', 'm2');
    await createTask(s.url, 't3', 'm1');
    await createTask(s.url, 't4');
  });

  for (const [selector, expected] of [
    ['app=web', ['s-a', 's-b']],
    ['app==web', ['s-a', 's-b']],
    ['app!=web', ['s-c', 's-d']],
    ['tier in (front, back)', ['s-a', 's-b']],
    ['tier notin (front)', ['s-b', 's-c', 's-d']],
    ['tier', ['s-a', 's-b']],
    ['!tier', ['s-c', 's-d']],
    ['app=web,tier!=back', ['s-a']],
    ['app in (web,db),!tier', ['s-c']],
    ['', ['s-a', 's-b', 's-c', 's-d']],
  ] as const) {
    it(`labelSelector "${selector}" selects ${expected.join(', ')}`, async () => {
      assert.deepEqual(names(await list(`${s.api}/services?labelSelector=${encodeURIComponent(selector)}`)), expected);
    });
  }

  for (const [selector, expected] of [
    ['spec.machine=m1', ['t1', 't3']],
    ['spec.machine==m2', ['t2']],
    ['spec.machine!=m1', ['t2', 't4']],
    ['spec.machine=', ['t4']],
    ['metadata.name=t2', ['t2']],
    ['spec.machine=m1,metadata.name!=t1', ['t3']],
  ] as const) {
    it(`fieldSelector "${selector}" on tasks selects ${expected.join(', ')}`, async () => {
      assert.deepEqual(names(await list(`${s.api}/tasks?fieldSelector=${encodeURIComponent(selector)}`)), expected);
    });
  }

  it('field and label selectors combine, and page from the snapshot', async () => {
    const first = await list(`${s.api}/tasks?fieldSelector=spec.machine%3Dm1&limit=1`);
    assert.deepEqual(names(first), ['t1']);
    await createTask(s.url, 't2a', 'm1'); // would be on the next page if it were read from the present
    const second = await list(`${s.api}/tasks?fieldSelector=spec.machine%3Dm1&limit=1&pageToken=${first.metadata.nextPageToken}`);
    assert.deepEqual(names(second), ['t3']);
    assert.equal(second.metadata.revision, first.metadata.revision);
    assert.equal(second.metadata.nextPageToken, undefined);
    assert.deepEqual(names(await list(`${s.api}/services?labelSelector=app%3Dweb&fieldSelector=metadata.name%21%3Ds-a`)), ['s-b']);
  });

  for (const selector of ['a in (x', 'app=web,', '!', 'bad key=x', 'tier in ()']) {
    it(`labelSelector "${selector}" answers 400 naming labelSelector`, async () => {
      assertError(await http(`${s.api}/services?labelSelector=${encodeURIComponent(selector)}`), 400, 'BadRequest', 'labelSelector');
    });
  }

  for (const selector of ['spec.bogus=1', 'spec.machine', 'spec.machine~m1', 'spec.machine=m1,']) {
    it(`fieldSelector "${selector}" answers 400 naming fieldSelector`, async () => {
      assertError(await http(`${s.api}/tasks?fieldSelector=${encodeURIComponent(selector)}`), 400, 'BadRequest', 'fieldSelector');
    });
  }
});
