// Lint: typescript-eslint's recommended rules (the compiler, strict, does the rest), and the
// boundaries of DESIGN.md as import rules, so they hold by construction rather than by review:
// only state/ touches the store, the registry is the one door to the repositories, api/ never
// imports a façade, façades see the registry and the model only, the agent is a client like any
// other, the scheduler and the model do no I/O. test/lint/boundaries.test.ts proves each rule bites.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_IO = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'tls', 'worker_threads', 'cluster'].flatMap((m) => [m, `node:${m}`]);

/**
 * An import rule for `files`: each group of patterns with the reason shown when it is broken.
 * Folder rules use ESLint's rule (type imports count too); the store rule, which must let
 * server.ts name the Store type, typescript-eslint's: two rule names, so neither overrides the other.
 */
function boundary(files, groups, ignores = [], rule = 'no-restricted-imports') {
  return {
    files,
    ignores: ['**/*.test.ts', ...ignores],
    rules: {
      [rule]: ['error', { patterns: groups.map(([group, message, allowTypeImports]) => ({ group, message, ...(allowTypeImports ? { allowTypeImports } : {}) })) }],
    },
  };
}

const STORE = ['**/store/*'];
const STATE_INTERNALS = ['**/state/state.js', '**/state/resources.js', '**/state/backend.js', '**/state/leadership.js', '**/state/leader.js', '**/state/fenced-store.js', '**/state/liveness.js'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'drover-data/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-control-regex': 'off',
    },
  },
  // Only state/ touches the store (server.ts may name its type; the offline backup command opens one itself).
  boundary(['src/**/*.ts'], [[STORE, 'only src/state/ uses the store: go through State (or the registry)', true]], ['src/state/**', 'src/store/**', 'src/cli/backup.ts'], '@typescript-eslint/no-restricted-imports'),
  boundary(['src/api/**/*.ts'], [
    [['**/compat/*', '**/compat/**'], 'api/ never imports a façade: façades are plugins passed to buildApp({ facades })'],
    [STATE_INTERNALS, 'api/ reads and writes through the registry, not the repositories'],
    [['**/controllers/*', '**/agent/*', '**/agent/**'], 'api/ serves HTTP: controllers and agents are not its business'],
  ]),
  boundary(['src/compat/**/*.ts'], [
    [['**/state/*', ...STORE], 'a façade reads and writes through the registry (FacadeOptions.registry), never the state'],
    [['**/api/*', '**/api/**', '!**/api/facade.js'], 'a façade depends on the registry and the model, not on the native API\'s internals'],
    [['**/controllers/*'], 'a façade translates; it does not run controllers'],
  ]),
  boundary(['src/controllers/**/*.ts'], [[['**/api/*', '**/api/**', '**/compat/*', '**/compat/**'], 'controllers work on the state, not on HTTP or façades']]),
  boundary(['src/registry/**/*.ts'], [[['**/api/*', '**/api/**', '**/compat/*', '**/compat/**', '**/controllers/*'], 'the registry is below every door: it imports none of them']]),
  boundary(['src/agent/**/*.ts'], [
    [
      ['**/server.js', '**/api/*', '**/api/**', '**/state/*', '**/registry/*', '**/registry/**', '**/controllers/*', '**/compat/**', 'better-sqlite3', 'etcd3', 'prom-client'],
      'the agent is a client of the public API (src/client): it loads nothing of the server',
    ],
  ]),
  boundary(['src/cli/**/*.ts'], [[['**/state/*', '**/registry/*', '**/registry/**', '**/controllers/*'], 'the CLI talks to the server through src/client']], ['src/cli/backup.ts']),
  // The console is a browser client of the public API like any other: the client's pieces and the model's types, nothing of the server.
  boundary(['src/ui/**/*.ts', 'src/ui/**/*.tsx'], [
    [
      ['**/server.js', '**/dev.js', '**/api/*', '**/api/**', '**/state/*', '**/store/*', '**/registry/*', '**/registry/**', '**/security/*', '**/controllers/*', '**/agent/*', '**/agent/**', '**/compat/**', '**/cli/*', ...NODE_IO],
      'the console is a client of the public API (src/client, the model\'s types): it loads nothing of the server and runs in a browser',
    ],
  ]),
  boundary(['src/scheduler/**/*.ts'], [
    [NODE_IO, 'the scheduler is pure: no I/O (controllers do it)'],
    [['**/state/*', '**/api/*', '**/api/**', '**/client/*', '**/registry/*', '**/registry/**', '**/controllers/*', '**/agent/*'], 'the scheduler is pure: it sees MachineView and TaskView, never API objects or the state'],
  ]),
  boundary(['src/model/**/*.ts', 'src/units/**/*.ts'], [
    [NODE_IO, 'the model and the unit-file code are pure: no I/O'],
    [
      ['**/state/*', '**/api/*', '**/api/**', '**/client/*', '**/registry/*', '**/registry/**', '**/controllers/*', '**/agent/*', '**/cli/*', '**/compat/**', '**/scheduler/*'],
      'the model is dependency-free: everything may import it, it imports only model/ and units/',
    ],
  ]),
);
