// `drover proxy --listen HOST:PORT`: serves the cluster's Ingresses (layer 7) from this machine.
import type { Command } from 'commander';
import { parseListen } from '../net/listen.js';
import { startProxy } from '../ingress/proxy-process.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { UsageError } from './output.js';

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description("serve the cluster's Ingresses: HTTP requests routed by host and path to the ready tasks of their services")
    .option('--listen <host:port>', 'where to accept HTTP requests', '0.0.0.0:8081')
    .option('--advertise <url>', 'the URL written into the Ingresses\' status.addresses (default http://HOST:PORT as listened)')
    .addHelpText(
      'after',
      examples(`
        drover proxy --server http://10.0.0.5:8080 --listen 0.0.0.0:80   # needs the ingress-proxy role (or admin)
        drover proxy --listen 127.0.0.1:8081 --advertise http://shop.example.com`),
    )
    .action(async (opts: { listen: string; advertise?: string }, cmd: Command) => {
      let at: { host: string; port: number };
      try {
        at = parseListen(opts.listen);
      } catch (err) {
        throw new UsageError((err as Error).message.replace('--listen', 'proxy --listen'));
      }
      const client = clientFor(cmd);
      const running = await startProxy({ client, host: at.host, port: at.port, advertise: opts.advertise, log: { warn: (o: object, msg?: string) => console.error(`drover proxy: ${msg ?? ''} ${JSON.stringify(o)}`) } });
      console.log(`drover proxy serving the Ingresses of ${client.server} at ${running.url}`);
      await new Promise<void>((resolve) => {
        const stop = () => void running.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
