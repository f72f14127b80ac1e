// `drover cert`: certificates from the cluster CA, on the server's machine (they need the CA's
// key, which never leaves the server's data dir).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CERT_DAYS, readCa, rotateServerCertificate, writeAtomic } from '../security/cluster-pki.js';
import { issueCertificate } from '../security/pki.js';
import { examples } from './help.js';
import { UsageError } from './output.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerCertCommands(program: Command): void {
  const cert = program
    .command('cert')
    .description('certificates from the cluster CA: issue a client certificate, rotate the server\'s')
    .addHelpText(
      'after',
      examples(`
        drover cert issue ann --group ops --data /var/lib/drover   # writes ann.crt and ann.key
        drover cert rotate --data /var/lib/drover --tls-san drover.example.com`),
    );
  cert
    .command('issue <user>')
    .description('issue a client certificate (CN = user, O = groups) and write USER.crt and USER.key')
    .addHelpText('after', examples(`
        drover cert issue ann --group ops --data /var/lib/drover`))
    .option('--group <group>', 'a group of the user (repeatable)', collect, [])
    .option('--data <dir>', 'the server\'s data directory (its pki/ holds the CA)', './drover-data')
    .option('--out-dir <dir>', 'where to write the files', '.')
    .option('--days <n>', 'days the certificate is valid', (v) => Number(v), CERT_DAYS)
    .action(async (user: string, opts: { group: string[]; data: string; outDir: string; days: number }) => {
      if (!(opts.days > 0)) throw new UsageError('--days must be a number of days greater than 0');
      const ca = readCa(resolve(opts.data));
      if (!ca) throw new UsageError(`no cluster CA in ${join(opts.data, 'pki')}; give the server's --data directory`);
      const pair = await issueCertificate(ca, { commonName: user, organizations: opts.group, usage: 'client', days: opts.days });
      const certFile = join(opts.outDir, `${user}.crt`);
      const keyFile = join(opts.outDir, `${user}.key`);
      if (existsSync(keyFile)) throw new UsageError(`${keyFile} exists; remove it or choose another --out-dir`);
      writeAtomic(keyFile, pair.key, 0o600);
      writeAtomic(certFile, pair.cert, 0o644);
      console.log(`wrote ${certFile} and ${keyFile} (user "${user}"${opts.group.length ? `, groups ${opts.group.join(', ')}` : ''}); use them in a context: clientCertificate, clientKey`);
    });
  cert
    .command('rotate')
    .description('renew the server certificate (the CA, and every certificate it issued, stay valid); send the server SIGHUP (or restart it) to serve it')
    .addHelpText('after', examples(`
        drover cert rotate --data /var/lib/drover --tls-san drover.example.com`))
    .option('--data <dir>', 'the server\'s data directory', './drover-data')
    .option('--tls-san <name>', 'another DNS name or IP address for it (repeatable)', collect, [])
    .action(async (opts: { data: string; tlsSan: string[] }) => {
      await rotateServerCertificate(resolve(opts.data), opts.tlsSan);
      console.log(`renewed ${join(opts.data, 'pki', 'server.crt')}; kill -HUP the drover server (or restart it) to serve it`);
    });
}
