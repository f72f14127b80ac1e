// X-Configuration-Tag and X-If-Configuration-Matches on the dataset routes.
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { call, MACHINE_A, NODE_A, NODE_B, readyMachine, startFlocker, type FlockerServer } from './flocker.js';
import { systemContext } from '../../../src/registry/index.js';

describe('Flocker configuration tags', () => {
  let fs: FlockerServer;
  before(async () => {
    fs = await startFlocker();
    await readyMachine(fs, MACHINE_A, '10.0.0.1');
    await readyMachine(fs, 'fedcba9876543210fedcba9876543210', '10.0.0.2');
  });
  after(() => fs.close());

  const tag = async () => {
    const res = await call(fs, 'GET', '/configuration/datasets');
    assert.equal(res.status, 200);
    const t = res.headers['x-configuration-tag'];
    assert.equal(typeof t, 'string');
    return t as string;
  };
  const count = async () => (await call(fs, 'GET', '/configuration/datasets')).json().length as number;

  it('the tag changes on every real change and never on a no-op or an unrelated write', async () => {
    const t0 = await tag();
    assert.equal(await tag(), t0, 'stable while nothing changes');
    const ds = (await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A } })).json();
    const t1 = await tag();
    assert.notEqual(t1, t0);
    // A move to the node it is on, a status write, and an unrelated kind's write change nothing Flocker shows.
    assert.equal((await call(fs, 'POST', `/configuration/datasets/${ds.dataset_id}`, { body: { primary: NODE_A } })).status, 200);
    await fs.server.registry.kind('datasets', 'default').replaceStatus(systemContext, ds.dataset_id, { status: { phase: 'Pending' } });
    await fs.server.registry.kind('namespaces').create(systemContext, { metadata: { name: 'elsewhere' } });
    assert.equal(await tag(), t1);
    assert.equal((await call(fs, 'POST', `/configuration/datasets/${ds.dataset_id}`, { body: { primary: NODE_B } })).status, 200);
    const t2 = await tag();
    assert.notEqual(t2, t1);
    assert.equal((await call(fs, 'DELETE', `/configuration/datasets/${ds.dataset_id}`)).status, 200);
    const t3 = await tag();
    assert.notEqual(t3, t2);
    assert.equal((await call(fs, 'DELETE', `/configuration/datasets/${ds.dataset_id}`)).status, 200);
    assert.equal(await tag(), t3, 'a repeated delete is a no-op');
  });

  it('a matching X-If-Configuration-Matches lets the write through', async () => {
    const res = await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A }, headers: { 'x-if-configuration-matches': await tag() } });
    assert.equal(res.status, 201, res.text);
  });

  it('one of several X-If-Configuration-Matches headers matching is enough', async () => {
    const res = await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A }, headers: { 'x-if-configuration-matches': ['stale', await tag()] } });
    assert.equal(res.status, 201, res.text);
  });

  for (const [what, method, path, body] of [
    ['create', 'POST', '/configuration/datasets', { primary: NODE_A }],
    ['update', 'POST', '/configuration/datasets/ID', { primary: NODE_B }],
    ['delete', 'DELETE', '/configuration/datasets/ID', undefined],
  ] as const) {
    it(`a stale tag on ${what} answers 412 with Flocker's message and changes nothing`, async () => {
      const ds = (await call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A } })).json();
      const current = await tag();
      const before = await count();
      const res = await call(fs, method, path.replace('ID', ds.dataset_id), { body, headers: { 'x-if-configuration-matches': 'abcdef' } });
      assert.equal(res.status, 412);
      assert.deepEqual(res.json(), { description: `Tag doesn't match. Required: abcdef, current: ${current}` });
      assert.equal(await tag(), current);
      assert.equal(await count(), before);
    });
  }

  it('of concurrent creates conditioned on the same tag, exactly one succeeds', async () => {
    // Five connections open and idle first, so the five requests arrive together.
    const agent = new Agent({ keepAlive: true, maxSockets: 5, ca: fs.server.pki.ca.cert, cert: fs.alice.cert, key: fs.alice.key });
    try {
      await Promise.all(Array.from({ length: 5 }, () => call(fs, 'GET', '/version', { agent })));
      const current = await tag();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => call(fs, 'POST', '/configuration/datasets', { body: { primary: NODE_A }, headers: { 'x-if-configuration-matches': current }, agent })),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [201, 412, 412, 412, 412]);
    } finally {
      agent.destroy();
    }
  });

  it('the precondition is checked before the body: a stale tag with a bad body answers 412', async () => {
    const res = await call(fs, 'POST', '/configuration/datasets', { body: '{broken', headers: { 'x-if-configuration-matches': 'stale' } });
    assert.equal(res.status, 412);
  });
});
