// The server's Replicante platform: the provider nodes' machines come from and the façade's own
// listener, built and closed together. Built before the controllers (the operation handlers need
// the provider), started once the server listens (local agents need its URL).
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { startReplicanteListener, type ReplicanteListener } from '../compat/replicante/listener.js';
import { REPLICANTE_NODE_LABEL, type Installation } from '../model/index.js';
import { packageRoot } from '../paths.js';
import { replicantePrincipal, type Principal } from '../security/principal.js';
import { systemContext } from '../registry/index.js';
import type { Credentials } from '../registry/credentials.js';
import type { State } from '../state/state.js';
import { LocalAgents } from './local-agents.js';
import { PROVIDER_NAMES, type MachineProvider, type ProviderName } from './provider.js';
import { SshHosts } from './ssh-hosts.js';

export interface ReplicanteOptions {
  /** host:port of the platform API (plain HTTP, unauthenticated: loopback unless you mean otherwise). */
  listen: string;
  /** Also serve the routes under this path (Core's platform base URL may have one). */
  basePath?: string;
  /** Where nodes' machines come from (default local). */
  provider?: ProviderName;
  /** The agent program local nodes run, with its leading arguments (default: this installation's bin/drover agent). */
  agentCommand?: string[];
  /** How long a local node's agent has to become Ready (default 60 s). */
  agentReadyTimeoutMs?: number;
}

export interface ReplicantePlatform {
  provider: MachineProvider;
  /** Serves the listener and, for the local provider, starts again the agents of existing nodes. */
  start(opts: { host: string; port: number; route: (req: IncomingMessage, res: ServerResponse) => void; trust?: (socket: Socket, principal: Principal) => void }): Promise<string>;
  close(): Promise<void>;
}

/** What the server hands the platform: its state, where it keeps files, how agents reach and trust it. */
export interface PlatformContext {
  state: State;
  dataDir: string;
  serverUrl: () => string;
  caCert?: string;
  /** When the server authenticates: new agents get join tokens from these credentials. */
  credentials?: Credentials;
  log: Logger;
}

/** Join tokens for local agents expire soon: the agent uses one within seconds of its start. */
const JOIN_TOKEN_TTL_SECONDS = 600;

export function replicantePlatform(opts: ReplicanteOptions & PlatformContext): ReplicantePlatform {
  const credentials = opts.credentials;
  const joinToken = credentials
    ? async (node: string) => (await credentials.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: JOIN_TOKEN_TTL_SECONDS, description: `join token for the agent of Replicante node ${node}` })).token
    : undefined;
  const name = opts.provider ?? 'local';
  if (!PROVIDER_NAMES.includes(name)) throw new Error(`--replicante-provider must be one of ${PROVIDER_NAMES.join(', ')}, got "${name}"`);
  const provider: LocalAgents | SshHosts =
    name === 'local'
      ? new LocalAgents({
          state: opts.state,
          root: join(opts.dataDir, 'replicante-agents'),
          serverUrl: opts.serverUrl,
          agentCommand: opts.agentCommand ?? [process.execPath, join(packageRoot, 'bin', 'drover.js'), 'agent'],
          ...(opts.caCert ? { caCert: opts.caCert } : {}),
          ...(joinToken ? { joinToken } : {}),
          ...(opts.agentReadyTimeoutMs ? { readyTimeoutMs: opts.agentReadyTimeoutMs } : {}),
          log: opts.log,
        })
      : new SshHosts(opts.state);
  let listener: ReplicanteListener | undefined;
  return {
    provider,
    start: async (at) => {
      listener = await startReplicanteListener({ ...at, basePath: opts.basePath, principal: replicantePrincipal });
      if (provider instanceof LocalAgents) {
        const nodes = new Set(
          opts.state
            .resources<Installation>('installations')
            .list()
            .filter((i) => !i.metadata.deletionTimestamp)
            .map((i) => i.metadata.labels?.[REPLICANTE_NODE_LABEL]),
        );
        await provider.resume((nodeId) => nodes.has(nodeId));
      }
      return listener.url;
    },
    close: async () => {
      await listener?.close();
      await provider.close();
    },
  };
}
