// drover edit with EDITOR set to small scripts that play the user: save a change, save nothing,
// save something the server refuses (and see the errors when the file opens again), or save
// after someone else changed the object.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startTestServer, tempDir, type TestServer } from '../helpers.js';
import { cli, droverBin } from './drover.js';

describe('drover edit', () => {
  let server: TestServer;
  let d: ReturnType<typeof cli>;
  const dir = tempDir('drover-cli-edit-');
  /** An EDITOR: a node script given the file's path; `body` edits `text` (round counts the openings). */
  const editor = (name: string, body: string) => {
    const path = join(dir, `${name}.mjs`);
    writeFileSync(
      path,
      `import { readFileSync, writeFileSync, existsSync } from 'node:fs';
const file = process.argv[2];
const counter = ${JSON.stringify(join(dir, `${name}.count`))};
const round = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) + 1 : 1;
writeFileSync(counter, String(round));
let text = readFileSync(file, 'utf8');
${body}
writeFileSync(file, text);
`,
    );
    return { EDITOR: `"${process.execPath}" ${path}`, VISUAL: undefined, DROVER_EDITOR: undefined };
  };
  before(async () => {
    server = await startTestServer();
    d = cli(server.url);
  });
  beforeEach(async () => {
    await server.client.services.delete('web').catch(() => {});
    await server.client.services.create({ metadata: { name: 'web' }, spec: { replicas: 2, template: { command: ['sleep', '300'] } } });
  });
  after(async () => {
    await server.close();
  });

  it('saves the edited object and records the template it replaced', async () => {
    const env = editor('change', `text = text.replace('replicas: 2', 'replicas: 4').replace('- "300"', '- "301"');`);
    assert.equal(await d.ok(['edit', 'service/web'], { env }), 'service/web edited\n');
    const web = await server.client.services.get('web');
    assert.equal(web.spec.replicas, 4);
    assert.deepEqual(web.spec.template.command, ['sleep', '301']);
    assert.deepEqual(JSON.parse(web.metadata.annotations!['drover.io/previous-template']!).command, ['sleep', '300'], 'rollout undo can go back');
  });

  it('an unchanged or emptied file is "Edit cancelled, no changes made" and writes nothing', async () => {
    const before = await server.client.services.get('web');
    for (const env of [{ EDITOR: 'true' }, editor('empty', `text = '# nothing\\n';`), editor('comments', `text = '# a comment\\n' + text;`)]) {
      assert.equal(await d.ok(['edit', 'svc', 'web'], { env }), 'Edit cancelled, no changes made\n');
    }
    const after = await server.client.services.get('web');
    assert.equal(after.metadata.generation, before.metadata.generation, 'the spec side was not written (the controller still writes status)');
    assert.deepEqual(after.metadata.annotations, before.metadata.annotations);
  });

  it('reopens a refused edit with every error as comments at the top, then saves the fix', async () => {
    const seen = join(dir, 'seen.yaml');
    const env = editor(
      'refused',
      `if (round === 1) text = text.replace('replicas: 2', 'replicas: -3\\n  bogus: 1');
else { writeFileSync(${JSON.stringify(seen)}, text); text = text.replace('replicas: -3', 'replicas: 3').replace('  bogus: 1\\n', ''); }`,
    );
    assert.equal(await d.ok(['edit', 'service/web'], { env }), 'service/web edited\n');
    const reopened = readFileSync(seen, 'utf8');
    assert.match(reopened, /^# Please edit the object below\./);
    assert.match(reopened, /^# service\/web was not saved:\n# invalid object, 2 problems:\n# {3}\/spec\/bogus: unknown field\n# {3}\/spec\/replicas: expected integer to be greater or equal to 0\n#\napiVersion: drover\/v1\n/m);
    assert.match(reopened, /replicas: -3/, 'the user\'s edit is kept, not the original');
    assert.equal((await server.client.services.get('web')).spec.replicas, 3);
  });

  it('saving the refused file unchanged gives up, exits 1 and keeps the user\'s version', async () => {
    const env = editor('stubborn', `if (round === 1) text = text.replace('replicas: 2', 'replicas: -3');`);
    const r = await d.run(['edit', 'service/web'], { env });
    assert.equal(r.code, 1);
    const kept = /your version is in (\S+)$/m.exec(r.stderr)?.[1];
    assert.ok(kept && existsSync(kept), r.stderr);
    assert.match(readFileSync(kept, 'utf8'), /replicas: -3/);
    assert.equal((await server.client.services.get('web')).spec.replicas, 2);
  });

  it('a change made by someone else while the editor was open is a conflict: nothing is overwritten', async () => {
    const env = editor(
      'raced',
      `const { execFileSync } = await import('node:child_process');
execFileSync(process.execPath, [${JSON.stringify(droverBin)}, '--server', ${JSON.stringify(server.url)}, 'scale', 'svc/web', '--replicas', '7']);
text = text.replace('replicas: 2', 'replicas: 5');`,
    );
    const r = await d.run(['edit', 'service/web'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: service\/web was changed by someone else after you opened it \(revision \d+\); nothing was saved; your version is in \S+: run drover edit service\/web again\n$/);
    assert.equal((await server.client.services.get('web')).spec.replicas, 7, 'the other change stands');
  });

  it('refuses a changed name or kind in the file, and unknown objects', async () => {
    const env = editor('renamed', `if (round === 1) text = text.replace('name: web', 'name: web2'); else text = text.replace('name: web2', 'name: web').replace('replicas: 2', 'replicas: 1');`);
    assert.equal(await d.ok(['edit', 'service/web'], { env }), 'service/web edited\n');
    assert.equal(await server.client.services.find('web2'), undefined);
    const missing = await d.run(['edit', 'service/nope'], { env: { EDITOR: 'true' } });
    assert.equal(missing.stderr, 'error: service "nope" not found\n');
    assert.equal((await d.run(['edit', 'service'])).code, 2);
  });
});
