// The agent's own small API, reached only by the server (which proxies users' log, kill,
// exec and port-forward requests to it, so users talk to one endpoint).
import { spawn } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import { SERVER_USER } from '../security/principal.js';
import { constants } from 'node:os';
import { followLog, readLog, type LogQuery, type LogRecord } from './logs.js';
import type { TaskRunner } from './task-runner.js';
import type { Readable } from 'node:stream';
import { registerDatasetContent } from './datasets/content-route.js';
import { registerPortForward } from './port-forward.js';
import { registerExecSessions } from './exec-session.js';
import { routeUpgrades, UPGRADE_PROTOCOLS } from '../net/upgrade.js';
import type { LogRing } from '../logging/log-ring.js';
import { serveLogRing } from '../logging/serve-ring.js';

/** What the agent API needs of the agent. */
export interface AgentView {
  readonly id: string;
  runnerByUid(uid: string): TaskRunner | undefined;
  /** The agent's own recent log lines. */
  logRing?: LogRing;
  /** A dataset's content as a tar stream, for a move out of this machine (throws with a statusCode when refused). */
  datasetContent?(id: string): Readable;
}

/** The agent API's TLS: its certificate from the cluster CA, and the CA whose client certificates it checks. */
export interface AgentTls {
  cert: string;
  key: string;
  ca: string;
}

export async function buildAgentApp(agent: AgentView, tls: AgentTls): Promise<FastifyInstance> {
  // An open log follow or exec must not hold the agent when it stops: connections are cut on
  // close, and each open stream ends first (a follow simply ends; an exec says why).
  // Only the server may call: TLS refuses a caller without a certificate from the cluster CA,
  // and the hook below any certificate but the server's (an agent's or a user's is refused too).
  const https: HttpsServerOptions = { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true };
  const serverFactory: FastifyServerFactory = (handler) => createHttpsServer(https, handler) as unknown as Server;
  const app = Fastify({ logger: false, forceCloseConnections: true, serverFactory });
  app.addHook('onRequest', (req, reply, done) => {
    const cn = (req.raw.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
    if ([cn].flat()[0] === SERVER_USER) return done();
    reply.code(403).send({ error: { code: 403, reason: 'Forbidden', message: 'only the drover server may call an agent' } });
  });
  const streams = new Map<ServerResponse, () => void>();
  const track = (res: ServerResponse, end: () => void) => {
    streams.set(res, end);
    res.once('close', () => streams.delete(res));
  };
  app.addHook('preClose', (done) => {
    for (const end of [...streams.values()]) end();
    streams.clear();
    done();
  });

  const runnerOf = (uid: string) => {
    const r = agent.runnerByUid(uid);
    if (!r) throw Object.assign(new Error(`task ${uid} is not on this machine (${agent.id})`), { statusCode: 404 });
    return r;
  };
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    return reply.code(code).send({ error: { code, reason: code === 404 ? 'NotFound' : code === 409 ? 'Conflict' : code < 500 ? 'BadRequest' : 'Internal', message: err.message } });
  });

  app.get('/v1/tasks/:uid/log', async (req, reply) => {
    const { uid } = req.params as { uid: string };
    const q = req.query as Record<string, string | undefined>;
    const runner = runnerOf(uid);
    const query: LogQuery = {};
    if (q.tail !== undefined) query.tail = Number(q.tail);
    if (q.since) query.since = q.since;
    if (q.stream === 'stdout' || q.stream === 'stderr') query.stream = q.stream;
    const timestamps = q.timestamps === 'true';
    const format = (r: LogRecord) => (timestamps ? `${r.time} ` : '') + r.text + (r.partial ? '' : '\n');
    const { records, offset } = await readLog(runner.dir, query);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    for (const r of records) res.write(format(r));
    if (q.follow !== 'true') return res.end();
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    track(res, () => abort.abort());
    // Follow until the client leaves or the task's run is over for good.
    const check = setInterval(() => {
      if (!agent.runnerByUid(uid) || (!runner.currentRun && runner.currentTask?.status?.phase && ['Succeeded', 'Failed', 'Stopped', 'Lost'].includes(runner.currentTask.status.phase))) abort.abort();
    }, 250);
    await followLog(runner.dir, offset, { stream: query.stream }, (r) => res.write(format(r)), abort.signal);
    clearInterval(check);
    res.end();
  });

  app.post('/v1/tasks/:uid/kill', async (req, reply) => {
    const { uid } = req.params as { uid: string };
    const body = (req.body ?? {}) as { signal?: string };
    const signal = normalizeSignal(body.signal ?? 'SIGTERM');
    const runner = runnerOf(uid);
    if (!runner.signal(signal)) throw Object.assign(new Error(`task ${runner.name} has no running process to signal`), { statusCode: 409 });
    return reply.send({ signal, pid: runner.pid ?? null });
  });

  app.post('/v1/tasks/:uid/exec', async (req, reply) => {
    const { uid } = req.params as { uid: string };
    const body = (req.body ?? {}) as { command?: unknown; stdin?: unknown };
    if (!Array.isArray(body.command) || body.command.length === 0 || !body.command.every((a) => typeof a === 'string')) {
      throw Object.assign(new Error('command must be a non-empty array of strings'), { statusCode: 400 });
    }
    const runner = runnerOf(uid);
    const task = runner.currentTask;
    if (!task) throw Object.assign(new Error('task is gone'), { statusCode: 404 });
    // The same environment, directory and user as the task's run (and its exec checks and sessions).
    const { env, cwd, credentials } = runner.execContext(task);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    const [cmd, ...args] = body.command as string[];
    const child = spawn(cmd!, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], ...(credentials ? { uid: credentials.uid, gid: credentials.gid } : {}) });
    const frame = (o: unknown) => res.write(JSON.stringify(o) + '\n');
    child.stdout.on('data', (d: Buffer) => frame({ stream: 'stdout', data: d.toString('utf8') }));
    child.stderr.on('data', (d: Buffer) => frame({ stream: 'stderr', data: d.toString('utf8') }));
    if (typeof body.stdin === 'string') child.stdin.end(body.stdin);
    else child.stdin.end();
    res.on('close', () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    track(res, () => {
      frame({ error: 'the agent is shutting down; the command was killed' });
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', (err) => {
      frame({ error: `cannot run ${cmd}: ${err.message}` });
      frame({ exit: { code: 127, signal: null } });
      res.end();
    });
    child.on('close', (code, signal) => {
      frame({ exit: { code, signal } });
      res.end();
    });
  });

  // The agent's own log (pino records, one JSON per line), for the server's /api/v1/system/logs.
  app.get('/v1/system/log', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const tail = q.tail === undefined ? undefined : Number(q.tail);
    if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw Object.assign(new Error(`tail must be a whole number, got "${q.tail}"`), { statusCode: 400 });
    reply.hijack();
    serveLogRing(agent.logRing, reply.raw, { tail, follow: q.follow === 'true', track });
  });

  routeUpgrades(app.server, UPGRADE_PROTOCOLS, (req, res) => app.routing(req, res));
  registerPortForward(app, runnerOf, agent.id, track);
  registerExecSessions(app, runnerOf, agent.id, track);
  if (agent.datasetContent) registerDatasetContent(app, agent.datasetContent.bind(agent), track);
  return app;
}

function normalizeSignal(s: string): NodeJS.Signals {
  const name = (/^\d+$/.test(s) ? Object.entries(constants.signals).find(([, n]) => n === Number(s))?.[0] : s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`) as NodeJS.Signals | undefined;
  if (!name || !(name in constants.signals)) throw Object.assign(new Error(`unknown signal "${s}"`), { statusCode: 400 });
  return name;
}
