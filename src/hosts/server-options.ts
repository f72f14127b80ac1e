// The server's settings for Hosts, and how they become the host controller's options: secrets
// are read through the registry as the server's own principal (as an agent's task secrets are),
// join tokens are made by the server when it authenticates.
import { join } from 'node:path';
import type { HostControllerOptions } from '../controllers/hosts.js';
import { packageRoot } from '../paths.js';
import { systemContext, type Registry } from '../registry/index.js';
import type { Secret } from '../model/index.js';

export interface HostsOptions {
  /** Address the hosts reach this server at (default: the listen address; needed when that is 0.0.0.0 or loopback). */
  serverAddress?: string;
  /** The agent program on the hosts with its leading arguments (default: this installation's bin/drover agent, run by this node). */
  agentCommand?: string[];
  /** The agent's data dir on the hosts; "{host}" stands for the Host's name (default /var/lib/drover-agent). */
  agentDataDir?: string;
  /** How often each host is checked (default 60 s). */
  healthIntervalMs?: number;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** How long a started agent has to register its Machine (default 60 s). */
  machineWaitMs?: number;
}

/** Join tokens minted for hosts' agents expire: the agent uses one within seconds of its start. */
const JOIN_TOKEN_TTL_SECONDS = 3600;

export function hostControllerOptions(opts: { hosts?: HostsOptions; registry: Registry; auth: boolean; caCert?: string; serverUrl: () => string }): HostControllerOptions {
  const hosts = opts.hosts ?? {};
  const credentials = opts.registry.credentials;
  return {
    serverUrl: opts.serverUrl,
    agentCommand: hosts.agentCommand ?? [process.execPath, join(packageRoot, 'bin', 'drover.js'), 'agent'],
    agentDataDir: hosts.agentDataDir ?? '/var/lib/drover-agent',
    ...(hosts.healthIntervalMs !== undefined ? { healthIntervalMs: hosts.healthIntervalMs } : {}),
    ...(hosts.connectTimeoutMs !== undefined ? { connectTimeoutMs: hosts.connectTimeoutMs } : {}),
    ...(hosts.commandTimeoutMs !== undefined ? { commandTimeoutMs: hosts.commandTimeoutMs } : {}),
    ...(hosts.machineWaitMs !== undefined ? { machineWaitMs: hosts.machineWaitMs } : {}),
    ...(opts.caCert ? { ca: opts.caCert } : {}),
    secretValues: async (namespace, name) => ((await opts.registry.kind<Secret>('secrets', namespace).reveal(systemContext, name)).spec.data ?? {}),
    ...(opts.auth && credentials
      ? {
          joinToken: async (host: string) =>
            (await credentials.createToken(systemContext, { user: 'system:bootstrap', purpose: 'join', ttlSeconds: JOIN_TOKEN_TTL_SECONDS, description: `join token for the agent of host ${host}` })).token,
        }
      : {}),
  };
}
