// The answer to one DNS query about the svc.drover zone, as a pure function of the query and the
// endpoints (RFC 1034/2782 semantics, Kubernetes' naming):
//   NAME.NAMESPACE.svc.drover                 A/AAAA: the ready tasks' machine addresses, deduplicated
//   _PORT._PROTO.NAME.NAMESPACE.svc.drover    SRV: each ready task's port, target TASK.NAME.NAMESPACE.svc.drover
//   TASK.NAME.NAMESPACE.svc.drover            A/AAAA: that task's machine address (ready tasks)
// A name that does not exist is NXDOMAIN, one that exists without records of the type asked (a
// service with no ready task) NOERROR with no answers; both carry the zone's SOA in authority so
// resolvers cache the negative answer for the TTL. Names outside drover. are REFUSED: this is no
// recursive resolver.
import { isIP } from 'node:net';
import type { Answer, Packet, Question, SrvAnswer } from 'dns-packet';
import type { EndpointAddress, Endpoints } from '../model/index.js';
import type { EndpointsView } from './view.js';

export const ZONE = 'drover';
const SVC = `svc.${ZONE}`;

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Header bits of dns-packet's flags (QR comes from `type`). */
const AA = 1 << 10;
const RD = 1 << 8;

export interface AnswerOptions {
  ttlSeconds: number;
}

export interface Reply {
  rcode: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

/** The response to a decoded query with exactly one question. */
export function respond(query: Packet, view: EndpointsView, opts: AnswerOptions): Packet {
  const question = query.questions![0];
  const reply = lookup(question, view, opts);
  const rd = (query.flags ?? 0) & RD;
  return {
    type: 'response',
    id: query.id,
    flags: (reply.rcode === RCODE.REFUSED ? 0 : AA) | rd | reply.rcode,
    questions: [question],
    answers: reply.answers,
    authorities: reply.authorities,
    additionals: reply.additionals,
  };
}

/** What a name holds, before the type asked is looked at. */
type Found =
  | { kind: 'apex' | 'empty' }
  | { kind: 'service'; ep: Endpoints }
  | { kind: 'task'; ep: Endpoints; address: EndpointAddress }
  | { kind: 'srv'; ep: Endpoints; port: string }
  | undefined;

export function lookup(q: Question, view: EndpointsView, opts: AnswerOptions): Reply {
  const name = q.name.toLowerCase().replace(/\.$/, '');
  const reply: Reply = { rcode: RCODE.NOERROR, answers: [], authorities: [], additionals: [] };
  if (q.class !== undefined && q.class !== 'IN' && q.class !== 'ANY') return { ...reply, rcode: RCODE.REFUSED };
  if (name !== ZONE && !name.endsWith(`.${ZONE}`)) return { ...reply, rcode: RCODE.REFUSED };
  const found = find(name, view);
  const ttl = opts.ttlSeconds;
  if (!found) return { ...reply, rcode: RCODE.NXDOMAIN, authorities: [soa(view, ttl)] };
  const wants = (type: string) => q.type === type || (q.type as string) === 'ANY';
  switch (found.kind) {
    case 'apex':
      if (wants('SOA')) reply.answers.push(soa(view, ttl));
      break;
    case 'empty':
      break;
    case 'service':
      reply.answers.push(...addressRecords(q.name, hostsOf(found.ep.status?.addresses ?? []), wants, ttl));
      break;
    case 'task':
      if (found.address.ready) reply.answers.push(...addressRecords(q.name, [found.address.host], wants, ttl));
      break;
    case 'srv': {
      if (!wants('SRV')) break;
      const { metadata } = found.ep;
      for (const a of found.ep.status?.addresses ?? []) {
        const port = a.ports[found.port];
        if (!a.ready || port === undefined) continue;
        const target = `${a.task}.${metadata.name}.${metadata.namespace ?? 'default'}.${SVC}`.toLowerCase();
        const srv: SrvAnswer = { type: 'SRV', name: q.name, ttl, data: { priority: 0, weight: 10, port, target } };
        reply.answers.push(srv);
        reply.additionals.push(...addressRecords(target, [a.host], () => true, ttl));
      }
      break;
    }
  }
  if (reply.answers.length === 0) reply.authorities.push(soa(view, ttl));
  return reply;
}

function find(name: string, view: EndpointsView): Found {
  if (name === ZONE || name === SVC) return { kind: name === ZONE ? 'apex' : 'empty' };
  if (!name.endsWith(`.${SVC}`)) return undefined;
  const labels = name.slice(0, -SVC.length - 1).split('.');
  // Read from the right: NAMESPACE, then NAME, then TASK or _PROTO, then _PORT.
  const [namespace, service] = [labels.at(-1)!, labels.at(-2)];
  if (!view.hasNamespace(namespace)) return undefined;
  if (service === undefined) return { kind: 'empty' };
  const ep = view.service(namespace, service);
  if (!ep) return undefined;
  if (labels.length === 2) return { kind: 'service', ep };
  if (labels.length === 3) {
    const task = labels[0];
    const address = ep.status?.addresses?.find((a) => a.task.toLowerCase() === task);
    // _PROTO.NAME.NAMESPACE.svc.drover exists as a step towards its SRV names.
    if (!address) return task.startsWith('_') && ep.status?.ports?.some((p) => `_${p.protocol}` === task) ? { kind: 'empty' } : undefined;
    return { kind: 'task', ep, address };
  }
  if (labels.length === 4 && labels[0].startsWith('_') && labels[1].startsWith('_')) {
    const [port, proto] = [labels[0].slice(1), labels[1].slice(1)];
    const declared = ep.status?.ports?.find((p) => p.name.toLowerCase() === port && p.protocol === proto);
    return declared ? { kind: 'srv', ep, port: declared.name } : undefined;
  }
  return undefined;
}

/** The ready addresses' hosts, each once, in task order. */
function hostsOf(addresses: readonly EndpointAddress[]): string[] {
  return [...new Set(addresses.filter((a) => a.ready).map((a) => a.host))];
}

/** A records for IPv4 hosts, AAAA for IPv6 ones (a host that is a name, not an address, has none). */
function addressRecords(name: string, hosts: readonly string[], wants: (type: string) => boolean, ttl: number): Answer[] {
  const out: Answer[] = [];
  for (const host of hosts) {
    const family = isIP(host);
    if (family === 4 && wants('A')) out.push({ type: 'A', name, ttl, data: host });
    else if (family === 6 && wants('AAAA')) out.push({ type: 'AAAA', name, ttl, data: host });
  }
  return out;
}

/** The zone's SOA; its minimum (the negative-caching TTL, RFC 2308) is the answers' TTL. */
function soa(view: EndpointsView, ttl: number): Answer {
  return {
    type: 'SOA',
    name: ZONE,
    ttl,
    data: { mname: `ns.${ZONE}`, rname: `hostmaster.${ZONE}`, serial: view.serial, refresh: 3600, retry: 600, expire: 86400, minimum: ttl },
  };
}
