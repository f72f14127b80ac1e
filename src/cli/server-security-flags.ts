// Flags `drover server` and `drover dev` share for the audit log (and, below, the request rate
// limit): declared once, turned into ServerOptions once.
import { InvalidArgumentError, type Command } from 'commander';
import { parseBytes } from '../model/index.js';
import type { ServerOptions } from '../server.js';

export interface SecurityFlags {
  secretsKeyFile?: string;
  auditLog?: string;
  auditLogMaxSize?: number;
  auditLogMaxFiles?: number;
  rateLimit?: number;
  rateLimitBurst?: number;
  nodeRateLimit?: number;
  nodeRateLimitBurst?: number;
}

function size(v: string): number {
  const n = (() => {
    try {
      return parseBytes(v);
    } catch {
      return NaN;
    }
  })();
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a size like 100Mi or 1G, got "${v}"`);
  return n;
}

function count(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number, got "${v}"`);
  return Number(v);
}

export function addSecurityFlags(cmd: Command): Command {
  return cmd
    .option('--secrets-key-file <path>', 'the keys secrets are encrypted with (default <data>/secrets.key, created 0600); servers sharing an etcd need the same file')
    .option('--audit-log <path>', 'JSON-lines audit log of every change, log/exec/kill, secret read and denial ("off": none; default <data>/audit.log)')
    .option('--audit-log-max-size <size>', 'size at which the audit log is rotated (default 100Mi)', size)
    .option('--audit-log-max-files <n>', 'rotated audit log files kept (default 5)', count)
    .option('--rate-limit <per-second>', 'requests per second each user may sustain; administrators are exempt; 0: no limit (default 100)', count)
    .option('--rate-limit-burst <n>', 'requests each user may make at once (default 1000)', count)
    .option('--node-rate-limit <per-second>', 'requests per second each agent (group system:nodes) may sustain (default 500; heartbeats are never limited)', count)
    .option('--node-rate-limit-burst <n>', 'requests each agent may make at once (default 5000)', count);
}

export function securityOptions(flags: SecurityFlags): Pick<ServerOptions, 'auditLog' | 'rateLimit' | 'secretsKeyFile'> {
  const auditLog = flags.auditLog === 'off' ? false : { path: flags.auditLog, maxBytes: flags.auditLogMaxSize, maxFiles: flags.auditLogMaxFiles };
  const rateLimit =
    flags.rateLimit === 0
      ? false
      : { ratePerSecond: flags.rateLimit, burst: flags.rateLimitBurst, nodeRatePerSecond: flags.nodeRateLimit, nodeBurst: flags.nodeRateLimitBurst };
  return { auditLog, rateLimit, ...(flags.secretsKeyFile ? { secretsKeyFile: flags.secretsKeyFile } : {}) };
}
