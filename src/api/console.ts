// The web console's files at /ui/: the page esbuild built into dist/ui (scripts/build-ui.mjs).
// The files hold no data (the page asks the API, with the user's credential, like any client), so
// strangers may fetch them. Hashed asset names never change content: cached for a year; the page
// itself is revalidated every time, so a new build is picked up at the next load.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { NotFound } from '../errors.js';
import { route } from './protocol/routes.js';

export interface ConsoleOptions {
  /** Directory of the built console (index.html and assets/). */
  dir: string;
}

/** Where the console's page may load things from and send things to: itself only. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Serves the console; without a build (tsc alone, no esbuild) /ui/ says how to make one. */
export function registerConsole(app: FastifyInstance, opts: ConsoleOptions): void {
  const index = join(opts.dir, 'index.html');
  // Read once: the files of a build do not change while the server runs.
  const page = existsSync(index) ? readFileSync(index) : undefined;
  const assetsDir = join(opts.dir, 'assets');
  const assets = new Map<string, Buffer>(existsSync(assetsDir) ? readdirSync(assetsDir).filter((f) => TYPES[extname(f)]).map((f) => [f, readFileSync(join(assetsDir, f))]) : []);

  route(app, '/ui', { GET: async (_req, reply) => reply.redirect('/ui/', 301) });
  route(app, '/ui/', {
    GET: async (_req, reply) => {
      if (!page) throw new NotFound('the web console is not built; run npm run build');
      return secured(reply).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page);
    },
  });
  route(app, '/ui/assets/:file', {
    GET: async (req, reply) => {
      const file = (req.params as { file: string }).file;
      const body = assets.get(file);
      if (!body) throw new NotFound(`no console asset "${file}"; reload the page (the server may have a newer build)`);
      return secured(reply).type(TYPES[extname(file)]!).header('cache-control', 'public, max-age=31536000, immutable').send(body);
    },
  });
}

function secured(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

