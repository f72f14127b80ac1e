// `drover flocker certs`: a Flocker API user's credentials in Flocker's layout (flocker/ca:
// cluster.crt, NAME.crt, NAME.key), from the cluster CA on the server's machine, and the RBAC
// binding that lets the user act: a Flocker client has no other way to say who it is, and an
// unbound user may do nothing. The default role, edit, is what Flocker's users could do there
// (datasets, leases, containers; nodes read); --role view for read only, --no-bind to bind by hand.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { USER_CN_PREFIX } from '../compat/flocker/listener.js';
import { CERT_DAYS, readCa, writeAtomic } from '../security/cluster-pki.js';
import { issueCertificate } from '../security/pki.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { UsageError } from './output.js';

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export function registerFlockerCommands(program: Command): void {
  const flocker = program
    .command('flocker')
    .description('the Flocker API v1 façade (drover server --flocker-listen): its users\' credentials')
    .addHelpText('after', examples(`
        drover flocker certs --user alice --data /var/lib/drover ./alice`));
  flocker
    .command('certs <dir>')
    .description('write cluster.crt, NAME.crt and NAME.key (CN user-NAME) for a Flocker API client, and bind the user to a cluster role')
    .requiredOption('--user <name>', 'the user the certificate is for')
    .option('--data <dir>', 'the server\'s data directory (its pki/ holds the CA)', './drover-data')
    .option('--role <role>', 'cluster role to bind the user to, through the API (edit: use datasets, leases and containers; view: read)', 'edit')
    .option('--no-bind', 'write the files only; bind the user yourself (a ClusterRoleBinding with subject User NAME)')
    .option('--days <n>', 'days the certificate is valid', (v) => Number(v), CERT_DAYS)
    .addHelpText('after', examples(`
        drover flocker certs --user alice --data /var/lib/drover ./alice   # then: curl --cacert alice/cluster.crt --cert alice/alice.crt --key alice/alice.key https://control-service:4523/v1/version`))
    .action(async (dir: string, opts: { user: string; data: string; role: string; bind: boolean; days: number }, cmd: Command) => {
      if (!USER_NAME.test(opts.user)) throw new UsageError(`--user "${opts.user}": use letters, digits, ".", "_", "@" and "-" (at most 128), starting with a letter or digit`);
      if (!(opts.days > 0)) throw new UsageError('--days must be a number of days greater than 0');
      const ca = readCa(resolve(opts.data));
      if (!ca) throw new UsageError(`no cluster CA in ${join(opts.data, 'pki')}; give the server's --data directory`);
      mkdirSync(dir, { recursive: true });
      const keyFile = join(dir, `${opts.user}.key`);
      if (existsSync(keyFile)) throw new UsageError(`${keyFile} exists; remove it or choose another directory`);
      const pair = await issueCertificate(ca, { commonName: `${USER_CN_PREFIX}${opts.user}`, usage: 'client', days: opts.days });
      writeAtomic(join(dir, 'cluster.crt'), ca.cert, 0o644);
      writeAtomic(keyFile, pair.key, 0o600);
      writeAtomic(join(dir, `${opts.user}.crt`), pair.cert, 0o644);
      console.log(`wrote ${join(dir, 'cluster.crt')}, ${join(dir, `${opts.user}.crt`)} and ${keyFile} (CN ${USER_CN_PREFIX}${opts.user})`);
      if (!opts.bind) return;
      const name = `flocker-user-${opts.user}`;
      try {
        await clientFor(cmd).resource('clusterrolebindings').create({
          metadata: { name },
          spec: { roleRef: { kind: 'ClusterRole', name: opts.role }, subjects: [{ kind: 'User', name: opts.user }] },
        } as never);
        console.log(`bound user "${opts.user}" to cluster role "${opts.role}" (clusterrolebinding/${name})`);
      } catch (err) {
        throw new UsageError(`the files are written, but binding user "${opts.user}" to role "${opts.role}" failed: ${(err as Error).message}; bind it yourself (drover apply -f with kind: ClusterRoleBinding, subject User ${opts.user}) or run again with --no-bind`);
      }
    });
}
