// `drover config`: contexts in ~/.config/drover/config.yaml (kubeconfig-like, much smaller), and
// how every command finds its server: --server, then DROVER_SERVER, then --context or the
// current context, then http://127.0.0.1:8080.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { parse, stringify } from 'yaml';
import { Client, type ClientOptions } from '../client/client.js';
import { parseServerUrls } from '../client/server-urls.js';
import { parseDuration, printWarning, UsageError } from './output.js';
import { examples } from './help.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export const DEV_CONTEXT = 'dev';

export interface Context {
  name: string;
  server: string;
  /** The namespace commands act in without -n (default "default"). */
  namespace?: string;
  /** PEM of the CA that signed the server's certificate (the cluster CA `drover server` wrote). */
  certificateAuthorityData?: string;
  /** A file holding that PEM, instead. */
  certificateAuthority?: string;
  /** Bearer token sent with every request. */
  token?: string;
  /** HTTP basic credentials. */
  username?: string;
  password?: string;
  /** Files of a client certificate and its key (drover cert issue). */
  clientCertificate?: string;
  clientKey?: string;
}

/** The credential and trust fields of a context, as written in the file. */
export type ContextAuth = Omit<Context, 'name' | 'server'>;
const AUTH_FIELDS = ['certificateAuthorityData', 'certificateAuthority', 'token', 'username', 'password', 'clientCertificate', 'clientKey'] as const;

export interface CliConfig {
  currentContext?: string;
  contexts: Context[];
}

/** DROVER_CONFIG, else $XDG_CONFIG_HOME/drover/config.yaml, else ~/.config/drover/config.yaml. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DROVER_CONFIG) return env.DROVER_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'drover', 'config.yaml');
}

export function readConfig(path = configPath()): CliConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: [] };
    throw err;
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}; fix or remove the file`);
  }
  const raw = (doc ?? {}) as { currentContext?: unknown; contexts?: unknown };
  const contexts = Array.isArray(raw.contexts)
    ? raw.contexts.filter((c): c is Context => !!c && typeof c.name === 'string' && typeof c.server === 'string').map(contextFields)
    : [];
  return { currentContext: typeof raw.currentContext === 'string' ? raw.currentContext : undefined, contexts };
}

function contextFields(c: Context): Context {
  const out: Context = { name: c.name, server: c.server };
  if (typeof c.namespace === 'string') out.namespace = c.namespace;
  for (const f of AUTH_FIELDS) if (typeof c[f] === 'string') out[f] = c[f];
  return out;
}

export function writeConfig(config: CliConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const doc: Record<string, unknown> = {};
  if (config.currentContext) doc.currentContext = config.currentContext;
  doc.contexts = config.contexts;
  writeFileSync(tmp, stringify(doc), { mode: 0o600 });
  renameSync(tmp, path); // atomic: a concurrent reader sees the old file or the new one
}

/**
 * Creates or updates a context; `use` also makes it current. With `auth` the context's
 * credentials are replaced by these (a server that wrote its context again after a new CA).
 */
export function setContext(name: string, server: string, use: boolean, path = configPath(), auth?: ContextAuth, namespace?: string): CliConfig {
  const config = readConfig(path);
  const existing = config.contexts.find((c) => c.name === name);
  const next = contextFields({ name, server, ...(auth ?? {}), ...(namespace !== undefined ? { namespace } : {}) });
  if (existing && namespace !== undefined) existing.namespace = namespace;
  if (existing && auth) Object.assign(existing, next, Object.fromEntries(AUTH_FIELDS.filter((f) => next[f] === undefined).map((f) => [f, undefined])));
  else if (existing) existing.server = server;
  else config.contexts.push(next);
  config.contexts = config.contexts.map(contextFields);
  if (use || !config.currentContext) config.currentContext = name;
  writeConfig(config, path);
  return config;
}

/** Called by `drover dev` on start: a "dev" context for its URL and the admin token, made current. */
export function writeDevContext(url: string, path = configPath(), auth: ContextAuth = {}): void {
  setContext(DEV_CONTEXT, url, true, path, auth);
}

/** The context `drover server` writes on start (as k3s writes its kubeconfig). */
export const SERVER_CONTEXT = 'default';

export interface ServerChoice {
  server: string;
  /** Where it came from, for `drover config view` and error messages. */
  source: string;
  /** The context whose credentials go with it, if any. */
  context?: Context;
}

/** The server a command talks to. */
export function resolveServer(opts: { server?: string; context?: string }, env: NodeJS.ProcessEnv = process.env): ServerChoice {
  if (opts.server) return { server: opts.server, source: '--server' };
  if (opts.context) {
    const path = configPath(env);
    const ctx = readConfig(path).contexts.find((c) => c.name === opts.context);
    if (!ctx) throw new Error(`context "${opts.context}" not found in ${path}; see drover config view`);
    return { server: ctx.server, source: `context "${ctx.name}"`, context: ctx };
  }
  if (env.DROVER_SERVER) return { server: env.DROVER_SERVER, source: 'DROVER_SERVER' };
  const config = readConfig(configPath(env));
  const ctx = config.contexts.find((c) => c.name === config.currentContext);
  if (ctx) return { server: ctx.server, source: `context "${ctx.name}"`, context: ctx };
  return { server: DEFAULT_SERVER, source: 'default' };
}

/** How long a request may wait for its answer: --request-timeout, then DROVER_REQUEST_TIMEOUT, then 30s. */
export function requestTimeoutMs(opts: { requestTimeout?: string }, env: NodeJS.ProcessEnv = process.env, fallbackMs = 30_000): number {
  if (opts.requestTimeout) return positiveDuration(opts.requestTimeout, '--request-timeout');
  if (env.DROVER_REQUEST_TIMEOUT) return positiveDuration(env.DROVER_REQUEST_TIMEOUT, 'DROVER_REQUEST_TIMEOUT');
  return fallbackMs;
}

function positiveDuration(v: string, what: string): number {
  const ms = parseDuration(v, what);
  if (ms <= 0) throw new UsageError(`${what} must be longer than 0, got "${v}"`);
  return ms;
}

/**
 * The namespace a command acts in: -n, then the context's, then "default"; undefined with -A
 * (lists and watches span every namespace the caller may see).
 */
export function resolveNamespace(opts: { namespace?: string; allNamespaces?: boolean; context?: string }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (opts.allNamespaces) {
    if (opts.namespace) throw new UsageError('give -n NAMESPACE or -A (all namespaces), not both');
    return undefined;
  }
  if (opts.namespace) return opts.namespace;
  const config = readConfig(configPath(env));
  const name = opts.context ?? (env.DROVER_SERVER ? undefined : config.currentContext);
  return config.contexts.find((c) => c.name === name)?.namespace ?? 'default';
}

/** A client for the server the command line, environment and config file point at. */
export function clientFor(cmd: Command, opts: { defaultTimeoutMs?: number } = {}): Client {
  const flags = cmd.optsWithGlobals<{ server?: string; context?: string; requestTimeout?: string; namespace?: string; allNamespaces?: boolean }>();
  const { server, source, context } = resolveServer(flags);
  const timeoutMs = requestTimeoutMs(flags, process.env, opts.defaultTimeoutMs);
  // Several URLs (comma-separated) fail over in turn, like the agents' --server.
  let servers: string[];
  try {
    servers = parseServerUrls(server, source);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // A context's credentials go only to the context's own server: --server or DROVER_SERVER name
  // another, which gets DROVER_TOKEN if set and nothing else.
  return new Client({ server: servers, timeoutMs, onWarning: printWarning, ...connectionOf(context, process.env), namespace: resolveNamespace(flags) });
}

/** The credentials and TLS trust a client uses for `context` (and DROVER_TOKEN, which wins). */
export function connectionOf(context: Context | undefined, env: NodeJS.ProcessEnv = process.env): Pick<ClientOptions, 'credentials' | 'tls'> {
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the ${what} of context "${context?.name}" (${file}): ${(err as Error).message}`);
    }
  };
  const out: Pick<ClientOptions, 'credentials' | 'tls'> = {};
  const token = env.DROVER_TOKEN || context?.token;
  if (token) out.credentials = { token };
  else if (context?.username && context.password !== undefined) out.credentials = { basic: { user: context.username, password: context.password } };
  if (context) {
    const tls: NonNullable<ClientOptions['tls']> = {};
    const ca = context.certificateAuthorityData ?? (context.certificateAuthority ? read('CA file', context.certificateAuthority) : undefined);
    if (ca) tls.ca = ca;
    if (context.clientCertificate && context.clientKey) {
      tls.cert = read('client certificate', context.clientCertificate);
      tls.key = read('client key', context.clientKey);
    }
    if (Object.keys(tls).length) out.tls = tls;
  }
  return out;
}

export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('show and change contexts (named servers) in the drover config file')
    .addHelpText(
      'after',
      examples(`
        drover config view
        drover config set-context prod --server http://10.0.0.5:8080 --use
        drover --context dev get svc              # one command against another context`),
    );

  config
    .command('view')
    .description('print the config file, its path, and the server commands would use now')
    .addHelpText(
      'after',
      examples(`
        drover config view                      # the file, and which server commands use now, and why`),
    )
    .action((_opts, cmd: Command) => {
      const path = configPath();
      const cfg = readConfig(path);
      const chosen = resolveServer(cmd.optsWithGlobals());
      // Like kubectl: credentials are not printed (the file is 0600 for a reason).
      const shown = cfg.contexts.map((c) => ({
        ...c,
        ...(c.certificateAuthorityData ? { certificateAuthorityData: 'DATA+OMITTED' } : {}),
        ...(c.token ? { token: 'REDACTED' } : {}),
        ...(c.password !== undefined ? { password: 'REDACTED' } : {}),
      }));
      process.stdout.write(`# ${path}\n${stringify({ currentContext: cfg.currentContext ?? null, contexts: shown })}`);
      process.stdout.write(`# in use: ${chosen.server} (from ${chosen.source})\n`);
    });

  config
    .command('get-contexts')
    .description('list contexts; * marks the current one')
    .addHelpText(
      'after',
      examples(`
        drover config get-contexts`),
    )
    .action(() => {
      const cfg = readConfig();
      const rows = cfg.contexts.map((c) => [c.name === cfg.currentContext ? '*' : '', c.name, c.server]);
      const width = Math.max(4, ...rows.map((r) => r[1]!.length));
      console.log(`CURRENT   ${'NAME'.padEnd(width)}   SERVER`);
      for (const r of rows) console.log(`${r[0]!.padEnd(7)}   ${r[1]!.padEnd(width)}   ${r[2]}`);
    });

  config
    .command('current-context')
    .description('print the current context')
    .addHelpText(
      'after',
      examples(`
        drover config current-context`),
    )
    .action(() => {
      const cfg = readConfig();
      if (!cfg.currentContext) throw new Error('no current context; set one with drover config use-context NAME');
      console.log(cfg.currentContext);
    });

  config
    .command('use-context <name>')
    .description('make a context current')
    .addHelpText(
      'after',
      examples(`
        drover config use-context prod`),
    )
    .action((name: string) => {
      const path = configPath();
      const cfg = readConfig(path);
      if (!cfg.contexts.some((c) => c.name === name)) {
        throw new Error(`context "${name}" not found in ${path}; create it with drover config set-context ${name} --server URL`);
      }
      cfg.currentContext = name;
      writeConfig(cfg, path);
      console.log(`switched to context "${name}"`);
    });

  config
    .command('set-context <name>')
    .description('create or update a context: drover config set-context NAME --server URL [--namespace NS] [--use]')
    .option('--use', 'also make it the current context')
    .option('--namespace <namespace>', 'the namespace commands of this context act in without -n')
    .addHelpText(
      'after',
      examples(`
        drover config set-context prod --server http://10.0.0.5:8080 --use
        drover config set-context ha --server http://a:8080,http://b:8080   # fail over between two`),
    )
    .action((name: string, _opts: unknown, cmd: Command) => {
      // --server is the global option (it names the context's server here).
      const opts = cmd.optsWithGlobals<{ server?: string; use?: boolean; namespace?: string }>();
      const existing = readConfig().contexts.find((c) => c.name === name);
      if (!opts.server && existing && opts.namespace) opts.server = existing.server;
      if (!opts.server) throw new UsageError('set-context needs --server URL, e.g. --server http://10.0.0.5:8080');
      try {
        parseServerUrls(opts.server);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const cfg = setContext(name, opts.server, !!opts.use, configPath(), undefined, opts.namespace);
      console.log(`context "${name}" set to ${opts.server}${cfg.currentContext === name ? ' (current)' : ''}`);
    });

  config
    .command('delete-context <name>')
    .description('remove a context')
    .addHelpText(
      'after',
      examples(`
        drover config delete-context old`),
    )
    .action((name: string) => {
      const path = configPath();
      const cfg = readConfig(path);
      if (!cfg.contexts.some((c) => c.name === name)) throw new Error(`context "${name}" not found in ${path}`);
      cfg.contexts = cfg.contexts.filter((c) => c.name !== name);
      if (cfg.currentContext === name) delete cfg.currentContext;
      writeConfig(cfg, path);
      console.log(`context "${name}" deleted`);
    });
}
