// The layering of DESIGN.md is enforced by ESLint's import rules (eslint.config.js). These
// tests lint fixture files placed, virtually, where a bad import would be made, and assert
// that the rule fires (and that a legitimate import does not), so a rule that silently stops
// matching fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { packageRoot } from '../../src/paths.js';

const fixtures = join(packageRoot, 'test', 'lint', 'fixtures');

async function lintFixture(file: string): Promise<{ path: string; messages: { ruleId: string | null; message: string }[] }> {
  const text = readFileSync(join(fixtures, file), 'utf8');
  const path = /^\/\/ lint-as: (\S+)/.exec(text)?.[1];
  assert.ok(path, `${file} names the path it is linted as on its first line`);
  const eslint = new ESLint({ cwd: packageRoot });
  const [result] = await eslint.lintText(text, { filePath: join(packageRoot, path) });
  return { path, messages: result!.messages };
}

const restricted = (m: { ruleId: string | null }) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports';

describe('import boundaries', () => {
  const bad: [string, RegExp][] = [
    ['api-imports-facade.txt', /never imports a façade/],
    ['api-imports-repository.txt', /through the registry/],
    ['controller-imports-store.txt', /only src\/state\/ uses the store/],
    ['facade-imports-state.txt', /through the registry/],
    ['agent-imports-server.txt', /client of the public API/],
    ['scheduler-does-io.txt', /the scheduler is pure/],
    ['model-imports-registry.txt', /dependency-free/],
    ['console-imports-registry.txt', /the console is a client of the public API/],
  ];
  for (const [file, reason] of bad) {
    it(`refuses ${file.replace(/\.txt$/, '').replaceAll('-', ' ')}`, async () => {
      const { path, messages } = await lintFixture(file);
      const hits = messages.filter(restricted);
      assert.equal(hits.length, 1, `one import error for ${path}, got ${JSON.stringify(messages)}`);
      assert.match(hits[0]!.message, reason);
    });
  }

  for (const file of ['allowed-imports.txt', 'server-names-store-type.txt']) {
    it(`accepts ${file.replace(/\.txt$/, '').replaceAll('-', ' ')}`, async () => {
      const { path, messages } = await lintFixture(file);
      assert.deepEqual(messages, [], `no lint error for ${path}`);
    });
  }

  it('every fixture is covered by a case above', () => {
    const covered = new Set([...bad.map(([f]) => f), 'allowed-imports.txt', 'server-names-store-type.txt']);
    for (const f of readdirSync(fixtures)) if (f.endsWith('.txt')) assert.ok(covered.has(f), `${f} has a test`);
  });
});
