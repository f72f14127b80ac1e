// TEST ONLY: distinct principals before real authentication exists. A server app whose caller is
// named by headers (x-test-user, x-test-groups), and an authorizer written as a table, so the
// secrets, audit and rate-limit tests can be several people. Authentication proper is built in
// src/security by its own work; nothing here ships.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { pino } from 'pino';
import { buildApp, type AppOptions } from '../../src/api/app.js';
import { ApiError } from '../../src/errors.js';
import { kinds, Registry } from '../../src/registry/index.js';
import type { Attributes, Authorizer } from '../../src/security/authorizer.js';
import { Keyring } from '../../src/security/keyring.js';
import { ADMINISTRATORS_GROUP, type Principal } from '../../src/security/principal.js';
import { State } from '../../src/state/state.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers.js';

/** TEST ONLY: the caller is whoever x-test-user says (anonymous without it); 401 for x-test-user: bad. */
export const headerAuthenticator = {
  authenticate(req: FastifyRequest): Principal {
    const name = req.headers['x-test-user'];
    if (name === 'bad') throw new ApiError('Unauthorized', 'bad test credentials');
    if (typeof name !== 'string') return { name: 'anonymous', groups: [], anonymous: true };
    const groups = typeof req.headers['x-test-groups'] === 'string' ? req.headers['x-test-groups'].split(',').filter(Boolean) : [];
    return { name, groups, anonymous: false };
  },
};

/** TEST ONLY: administrators may do anything; other groups what `rules` lists ("verb resource"). */
export function tableAuthorizer(rules: Record<string, string[]>): Authorizer {
  return {
    allowed: (p: Principal, { verb, resource: plural, subresource }: Attributes) => {
      const resource = subresource ? `${plural}/${subresource}` : plural;
      return p.groups.includes(ADMINISTRATORS_GROUP) || p.groups.some((g) => rules[g]?.includes(`${verb} ${resource}`) || rules[g]?.includes(`* ${resource}`));
    },
  };
}

export function as(user: string, ...groups: string[]): Record<string, string> {
  return { 'x-test-user': user, 'x-test-groups': groups.join(',') };
}

export const admin = as('ann', ADMINISTRATORS_GROUP);

export interface TestApp {
  url: string;
  api: string;
  dir: string;
  app: FastifyInstance;
  registry: Registry;
  keyring: Keyring;
  /** What the server logged (every level). */
  log(): string;
  close(): Promise<void>;
}

/** A real server (SQLite file in a temp dir, port 0) with the test authenticator and `authorizer`. */
export async function startTestApp(opts: { authorizer?: Authorizer; dir?: string; app?: Partial<AppOptions> } = {}): Promise<TestApp> {
  const dir = opts.dir ?? tempDir('drover-security-');
  let logged = '';
  const logger = pino({ level: 'trace' }, { write: (s: string) => void (logged += s) });
  const keyring = Keyring.open(join(dir, 'secrets.key'));
  const store = SqliteStore.open({ path: join(dir, 'state.db'), logger });
  const state = await State.open({ store, kinds });
  const registry = new Registry({ state, kinds, keyring, authorizer: opts.authorizer });
  const app = await buildApp({ registry, logger, authenticator: headerAuthenticator, ...opts.app });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${addr.port}`;
  return {
    url,
    api: `${url}/api/v1`,
    dir,
    app,
    registry,
    keyring,
    log: () => logged,
    close: async () => {
      await app.close();
      await state.close();
      await store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
