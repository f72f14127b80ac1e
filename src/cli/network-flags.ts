// Ports and DNS flags, shared by `drover server` and `drover dev`.
import { InvalidArgumentError, type Command } from 'commander';
import { parseListen } from '../net/listen.js';
import { parsePortRange, type PortRange } from '../scheduler/index.js';
import type { ServerOptions } from '../server.js';

export interface NetworkFlags {
  portRange: PortRange;
  dnsListen?: string;
  dnsTtl: number;
}

export function addNetworkFlags(command: Command): Command {
  return command
    .option('--port-range <first-last>', 'where dynamic task ports are allocated on each machine', portRangeOption, parsePortRange('20000-29999'))
    .option('--dns-listen <host:port>', 'answer DNS for services (NAME.NAMESPACE.svc.drover: A, AAAA, SRV) over UDP and TCP here (e.g. 127.0.0.1:8600); off by default', dnsListenOption)
    .option('--dns-ttl <seconds>', 'TTL of DNS answers', ttlOption, 5);
}

export function networkOptions(flags: NetworkFlags): Pick<ServerOptions, 'portRange' | 'dnsListen' | 'dnsTtlSeconds'> {
  return { portRange: flags.portRange, dnsTtlSeconds: flags.dnsTtl, ...(flags.dnsListen ? { dnsListen: flags.dnsListen } : {}) };
}

function portRangeOption(v: string): PortRange {
  try {
    return parsePortRange(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function dnsListenOption(v: string): string {
  try {
    parseListen(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace('--listen', '--dns-listen'));
  }
  return v;
}

function ttlOption(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 86400) throw new InvalidArgumentError(`a whole number of seconds from 0 to 86400, got "${v}"`);
  return n;
}
