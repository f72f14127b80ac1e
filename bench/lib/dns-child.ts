// A DNS responder in its own process, so the load generator does not share its CPU: `drover`
// is drover's listener over an EndpointsView of one service with two ready tasks; `bare` is the
// baseline, a dgram socket that decodes each query with dns-packet and answers one fixed A record.
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { startDnsListener } from '../../src/dns/server.js';
import { EndpointsView } from '../../src/dns/view.js';
import type { Endpoints } from '../../src/model/index.js';

const which = process.argv[2];

async function main(): Promise<number> {
  if (which === 'bare') {
    const udp = createSocket('udp4');
    udp.on('message', (msg, peer) => {
      try {
        const q = dnsPacket.decode(msg);
        const question = q.questions![0];
        const answer = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [question], answers: [{ type: 'A', name: question.name, ttl: 5, data: '10.0.0.1' }] });
        udp.send(answer, peer.port, peer.address);
      } catch {
        // dropped
      }
    });
    await new Promise<void>((ok) => udp.bind(0, '127.0.0.1', () => ok()));
    return udp.address().port;
  }
  const view = new EndpointsView();
  const ep: Endpoints = {
    apiVersion: 'drover/v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' } as Endpoints['metadata'],
    spec: {},
    status: {
      addresses: [
        { task: 'web-a', machine: 'm1', host: '10.0.0.1', ports: { http: 20001 }, ready: true },
        { task: 'web-b', machine: 'm1', host: '10.0.0.1', ports: { http: 20002 }, ready: true },
      ],
      ports: [{ name: 'http', protocol: 'tcp' }],
    },
  };
  view.add(ep);
  const dns = await startDnsListener({ host: '127.0.0.1', port: 0, view, ttlSeconds: 5 });
  return dns.port;
}

const port = await main();
process.send!({ port });
process.on('disconnect', () => process.exit(0));
