// The DNS listener: UDP and TCP on one port (as every DNS server, RFC 7766), answering from an
// EndpointsView. A packet that cannot be read is answered FORMERR when its header can be (else
// dropped), never thrown: one bad datagram must not stop the answers for everyone else. A UDP
// answer larger than the client takes (512 bytes, or its EDNS size) is sent truncated (TC) and
// the client asks again over TCP, as dig does.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import dnsPacket, { type DecodedPacket, type Packet } from 'dns-packet';
import { RCODE, respond, type AnswerOptions } from './answer.js';
import type { EndpointsView } from './view.js';

const HEADER_BYTES = 12;
const CLASSIC_UDP_BYTES = 512;
/** A TCP connection silent this long is closed (RFC 7766 suggests seconds, not minutes). */
const TCP_IDLE_MS = 10_000;
/** Bytes a TCP client may have buffered towards its next message (a length prefix allows 64 KiB). */
const MAX_TCP_BUFFER = 65_537;

export interface DnsListenOptions extends AnswerOptions {
  host: string;
  /** 0 picks a port free for both UDP and TCP. */
  port: number;
  view: EndpointsView;
  /** Something unexpected (not a malformed query: those are the clients' business). */
  onError?: (err: unknown) => void;
}

export interface DnsListener {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startDnsListener(opts: DnsListenOptions): Promise<DnsListener> {
  // Port 0: the UDP port the kernel picks may be taken for TCP; try a few times.
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket({ type: isIPv6(opts.host) ? 'udp6' : 'udp4' });
    await new Promise<void>((ok, fail) => udp.once('error', fail).bind(opts.port, opts.host, () => ok()));
    const port = udp.address().port;
    const tcp = createServer();
    try {
      await new Promise<void>((ok, fail) => tcp.once('error', fail).listen(port, opts.host, () => ok()));
    } catch (err) {
      udp.close();
      if (opts.port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
      throw err;
    }
    return serve(opts, udp, tcp, port);
  }
}

function serve(opts: DnsListenOptions, udp: UdpSocket, tcp: Server, port: number): DnsListener {
  const onError = opts.onError ?? (() => {});
  udp.on('message', (msg, peer) => {
    try {
      const out = answerBytes(msg, opts, true);
      if (out) udp.send(out, peer.port, peer.address);
    } catch (err) {
      onError(err);
    }
  });
  udp.on('error', onError);
  const connections = new Set<Socket>();
  tcp.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      if (buffered.length > MAX_TCP_BUFFER) return socket.destroy();
      while (buffered.length >= 2) {
        const size = buffered.readUInt16BE(0);
        if (buffered.length < 2 + size) break;
        const msg = buffered.subarray(2, 2 + size);
        buffered = buffered.subarray(2 + size);
        try {
          const out = answerBytes(msg, opts, false);
          if (!out) return socket.destroy(); // not even a header: nothing to say on this stream
          const framed = Buffer.alloc(2 + out.length);
          framed.writeUInt16BE(out.length, 0);
          out.copy(framed, 2);
          socket.write(framed);
        } catch (err) {
          onError(err);
          return socket.destroy();
        }
      }
    });
  });
  return {
    host: opts.host,
    port,
    close: async () => {
      for (const s of connections) s.destroy();
      await Promise.all([new Promise<void>((ok) => udp.close(() => ok())), new Promise<void>((ok) => tcp.close(() => ok()))]);
    },
  };
}

/** The bytes answering `msg`; undefined when it should be dropped (too short to have an ID, or itself a response). */
export function answerBytes(msg: Buffer, opts: AnswerOptions & { view: EndpointsView }, overUdp: boolean): Buffer | undefined {
  if (msg.length < HEADER_BYTES) return undefined;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response: answering it could start a loop between two servers
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return header(id, flags, RCODE.NOTIMP);
  let query: DecodedPacket;
  try {
    query = dnsPacket.decode(msg);
  } catch {
    return header(id, flags, RCODE.FORMERR);
  }
  if (query.questions?.length !== 1) return header(id, flags, RCODE.FORMERR);
  const response = respond(query, opts.view, opts);
  const opt = query.additionals?.find((a) => a.type === 'OPT');
  // EDNS (RFC 6891): answer with our own OPT, and take the client's UDP size.
  if (opt) response.additionals = [...(response.additionals ?? []), { type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  let out = dnsPacket.encode(response);
  const limit = opt && 'udpPayloadSize' in opt ? Math.max(CLASSIC_UDP_BYTES, opt.udpPayloadSize) : CLASSIC_UDP_BYTES;
  if (overUdp && out.length > limit) {
    const truncated: Packet = { ...response, flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], authorities: [], additionals: [] };
    out = dnsPacket.encode(truncated);
  }
  return out;
}

/** A header-only answer (FORMERR, NOTIMP): the ID and RD of the query, no sections. */
function header(id: number, queryFlags: number, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x8000 | (queryFlags & 0x7800) | (queryFlags & 0x0100) | rcode, 2);
  return out;
}
