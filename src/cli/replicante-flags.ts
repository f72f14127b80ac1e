// The Replicante platform's flags, shared by `drover server` and `drover dev`.
import { InvalidArgumentError, type Command } from 'commander';
import { isLoopback } from '../api/protocol/guards.js';
import { parseListen } from '../net/listen.js';
import type { ReplicanteOptions } from '../providers/replicante-platform.js';

export interface ReplicanteFlags {
  replicanteListen?: string;
  replicanteBasePath?: string;
  replicanteProvider: 'local' | 'ssh';
}

/** PORT or :PORT means loopback: the listener does not authenticate, so it is not exposed unless asked. */
export function replicanteListenOption(v: string): string {
  const listen = /^:?\d+$/.test(v) ? `127.0.0.1:${v.replace(/^:/, '')}` : v;
  try {
    parseListen(listen);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace('--listen', '--replicante-listen'));
  }
  return listen;
}

export function addReplicanteFlags(command: Command): Command {
  return command
    .option(
      '--replicante-listen <host:port>',
      'also be a Replicante platform: serve GET discover, POST provision, POST deprovision over plain HTTP here (give Core http://HOST:PORT/). It does not authenticate callers: a bare PORT binds to 127.0.0.1; expose it only behind a proxy that does',
      replicanteListenOption,
    )
    .option('--replicante-base-path <path>', 'also serve the platform routes under this path (they always answer at / too)')
    .option('--replicante-provider <provider>', 'where provisioned nodes\' machines come from: local (a new drover agent process on this host per node) or ssh (a registered Host no node uses yet)', (v) => {
      if (v !== 'local' && v !== 'ssh') throw new InvalidArgumentError(`local or ssh, got "${v}"`);
      return v;
    }, 'local');
}

export function replicanteOptions(flags: ReplicanteFlags): { replicante?: ReplicanteOptions } {
  if (!flags.replicanteListen) return {};
  if (!isLoopback(parseListen(flags.replicanteListen).host)) {
    console.error(`warning: --replicante-listen ${flags.replicanteListen}: the Replicante platform API does not authenticate; whoever reaches it may provision and deprovision nodes`);
  }
  return { replicante: { listen: flags.replicanteListen, provider: flags.replicanteProvider, ...(flags.replicanteBasePath ? { basePath: flags.replicanteBasePath } : {}) } };
}
