// The DNS listener with real UDP and TCP clients (dns-packet + dgram/net): names, types, negative
// answers, truncation to TCP, and malformed packets that must never stop it.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';
import type { Endpoints } from '../model/index.js';
import { startDnsListener, type DnsListener } from './server.js';
import { EndpointsView } from './view.js';

function endpoints(name: string, namespace: string, addresses: [task: string, host: string, port: number | undefined, ready: boolean][]): Endpoints {
  return {
    apiVersion: 'drover/v1',
    kind: 'Endpoints',
    metadata: { name, namespace } as Endpoints['metadata'],
    spec: {},
    status: {
      addresses: addresses.map(([task, host, port, ready]) => ({ task, machine: `m-${host}`, host, ports: (port === undefined ? {} : { http: port }) as Record<string, number>, ready })),
      ports: [{ name: 'http', protocol: 'tcp' }],
    },
  };
}

let nextId = 1;

function udpQuery(port: number, name: string, type: RecordType | 'ANY', raw?: Buffer): Promise<DecodedPacket> {
  const socket = createSocket('udp4');
  const msg = raw ?? dnsPacket.encode({ type: 'query', id: nextId++, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as RecordType }] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (socket.close(), reject(new Error(`no UDP answer for ${name}`))), 2_000);
    socket.once('message', (m) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(m));
    });
    socket.send(msg, port, '127.0.0.1');
  });
}

function tcpQuery(port: number, name: string, type: RecordType): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        socket.end();
        resolve(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    socket.on('error', reject);
    socket.write(dnsPacket.streamEncode({ type: 'query', id: nextId++, questions: [{ name, type }] }));
  });
}

const rcodeOf = (p: DecodedPacket) => (p as unknown as { rcode: string }).rcode;
const data = (p: DecodedPacket, type: string) => (p.answers ?? []).filter((a) => a.type === type).map((a) => (a as { data: unknown }).data);

describe('DNS listener', () => {
  let dns: DnsListener;
  const view = new EndpointsView();

  before(async () => {
    view.add(endpoints('web', 'default', [['web-a', '10.0.0.1', 20001, true], ['web-b', '10.0.0.2', 20002, true], ['web-c', '10.0.0.1', 20003, true], ['web-d', '10.0.0.3', 20004, false]]));
    view.add(endpoints('idle', 'default', [['idle-a', '10.0.0.1', 20005, false]]));
    view.add(endpoints('v6', 'prod', [['v6-a', 'fd00::1', 20006, true]]));
    // Enough ready tasks that the SRV answer outgrows 512 bytes: truncated over UDP.
    view.add(endpoints('big', 'default', Array.from({ length: 40 }, (_, i) => [`big-task-with-a-long-name-${i}`, `10.1.0.${i + 1}`, 21000 + i, true] as [string, string, number, boolean])));
    dns = await startDnsListener({ host: '127.0.0.1', port: 0, view, ttlSeconds: 5 });
  });
  after(() => dns.close());

  it("answers A with the ready tasks' machine addresses, each once, authoritatively, with the TTL", async () => {
    const res = await udpQuery(dns.port, 'web.default.svc.drover', 'A');
    assert.equal(rcodeOf(res), 'NOERROR');
    assert.equal(res.flag_aa, true);
    assert.deepEqual(data(res, 'A'), ['10.0.0.1', '10.0.0.2']);
    assert.ok(res.answers!.every((a) => 'ttl' in a && a.ttl === 5));
  });

  it('is case-insensitive and takes a trailing dot', async () => {
    assert.deepEqual(data(await udpQuery(dns.port, 'WEB.Default.SVC.drover.', 'A'), 'A'), ['10.0.0.1', '10.0.0.2']);
  });

  it('answers SRV with each ready task\'s port and its own name as target, with the A records as additionals', async () => {
    const res = await udpQuery(dns.port, '_http._tcp.web.default.svc.drover', 'SRV');
    assert.deepEqual(
      data(res, 'SRV').map((d) => [(d as { target: string }).target, (d as { port: number }).port]),
      [
        ['web-a.web.default.svc.drover', 20001],
        ['web-b.web.default.svc.drover', 20002],
        ['web-c.web.default.svc.drover', 20003],
      ],
    );
    assert.deepEqual(
      (res.additionals ?? []).filter((a) => a.type === 'A').map((a) => [a.name, (a as { data: string }).data]),
      [
        ['web-a.web.default.svc.drover', '10.0.0.1'],
        ['web-b.web.default.svc.drover', '10.0.0.2'],
        ['web-c.web.default.svc.drover', '10.0.0.1'],
      ],
    );
    // And the target resolves.
    assert.deepEqual(data(await udpQuery(dns.port, 'web-b.web.default.svc.drover', 'A'), 'A'), ['10.0.0.2']);
  });

  it('answers AAAA for IPv6 machines, and no A for them', async () => {
    assert.deepEqual(data(await udpQuery(dns.port, 'v6.prod.svc.drover', 'AAAA'), 'AAAA'), ['fd00::1']);
    const a = await udpQuery(dns.port, 'v6.prod.svc.drover', 'A');
    assert.equal(rcodeOf(a), 'NOERROR');
    assert.deepEqual(a.answers, []);
  });

  it('says NXDOMAIN for unknown names, NOERROR with no answers for a service with no ready task, with the SOA in authority', async () => {
    for (const name of ['nope.default.svc.drover', 'web.nons.svc.drover', '_admin._tcp.web.default.svc.drover', '_http._udp.web.default.svc.drover', 'web-zz.web.default.svc.drover']) {
      const res = await udpQuery(dns.port, name, 'A');
      assert.equal(rcodeOf(res), 'NXDOMAIN', name);
      assert.equal(res.authorities?.[0]?.type, 'SOA', name);
    }
    for (const [name, type] of [['idle.default.svc.drover', 'A'], ['_http._tcp.idle.default.svc.drover', 'SRV'], ['web-d.web.default.svc.drover', 'A'], ['web.default.svc.drover', 'TXT']] as const) {
      const res = await udpQuery(dns.port, name, type);
      assert.equal(rcodeOf(res), 'NOERROR', name);
      assert.deepEqual(res.answers, [], name);
      const soa = res.authorities?.[0] as { type: string; data: { minimum: number } };
      assert.equal(soa.type, 'SOA', name);
      assert.equal(soa.data.minimum, 5);
    }
  });

  it('refuses names outside drover. (it is no recursive resolver)', async () => {
    const res = await udpQuery(dns.port, 'example.com', 'A');
    assert.equal(rcodeOf(res), 'REFUSED');
    assert.equal(res.flag_aa, false);
  });

  it('answers over TCP the same', async () => {
    const res = await tcpQuery(dns.port, '_http._tcp.web.default.svc.drover', 'SRV');
    assert.equal(data(res, 'SRV').length, 3);
    assert.equal(rcodeOf(await tcpQuery(dns.port, 'nope.default.svc.drover', 'A')), 'NXDOMAIN');
  });

  it('truncates an answer too big for UDP (TC), and gives it whole over TCP', async () => {
    const udp = await udpQuery(dns.port, '_http._tcp.big.default.svc.drover', 'SRV');
    assert.equal(udp.flag_tc, true);
    assert.deepEqual(udp.answers, []);
    const tcp = await tcpQuery(dns.port, '_http._tcp.big.default.svc.drover', 'SRV');
    assert.equal(data(tcp, 'SRV').length, 40);
  });

  it('answers FORMERR to what it cannot read, drops what has no header, and keeps answering', async () => {
    const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]), Buffer.from([0x3f, 0x41])]);
    const res = await udpQuery(dns.port, '', 'A', garbage);
    assert.equal(res.id, 0x1234);
    assert.equal(rcodeOf(res), 'FORMERR');
    const twoQuestions = dnsPacket.encode({ type: 'query', id: 7, questions: [{ name: 'a.drover', type: 'A' }, { name: 'b.drover', type: 'A' }] });
    assert.equal(rcodeOf(await udpQuery(dns.port, '', 'A', twoQuestions)), 'FORMERR');
    const short = createSocket('udp4');
    await new Promise<void>((ok) => short.send(Buffer.from([1, 2, 3]), dns.port, '127.0.0.1', () => ok()));
    short.close();
    // A TCP client sending a frame of nonsense is cut off; others go on.
    await new Promise<void>((ok) => {
      const s = connect(dns.port, '127.0.0.1', () => s.write(Buffer.from([0, 3, 1, 2, 3])));
      s.on('close', () => ok());
      s.on('error', () => ok());
    });
    assert.deepEqual(data(await udpQuery(dns.port, 'web.default.svc.drover', 'A'), 'A'), ['10.0.0.1', '10.0.0.2']);
  });
});
