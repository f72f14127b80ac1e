import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { until } from '../../test/until.js';
import { connectAgent, relay } from './exec-session.js';

describe('the exec session relay', () => {
  const servers: WebSocketServer[] = [];
  after(() => servers.forEach((s) => s.close()));

  const listening = async (onConnection: (ws: WebSocket) => void): Promise<string> => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    servers.push(wss);
    wss.on('connection', onConnection);
    await new Promise((r) => wss.once('listening', r));
    return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  };

  it('keeps what the agent sent before the client was relayed (a shell prompts at once)', async () => {
    // The agent's side: the command's first output goes out as soon as the session is accepted.
    const agentUrl = await listening((ws) => ws.send(Buffer.from('\x01# '), { binary: true }));
    const agent = await connectAgent(agentUrl, {} as Parameters<typeof connectAgent>[1], 5_000);
    // The prompt reached the server's socket before the client's handshake completed.
    const socket = (agent as unknown as { _socket: { bytesRead: number } })._socket;
    await until(() => socket.bytesRead > 0, 'the agent\'s first bytes to arrive');

    // The client's side: a browser whose handshake completes only now.
    let client: WebSocket | undefined;
    const clientUrl = await listening((ws) => {
      client = ws;
      relay(ws, agent);
    });
    const browser = new WebSocket(clientUrl);
    const got: Buffer[] = [];
    browser.on('message', (d: Buffer) => got.push(d));
    try {
      await until(() => got.length > 0, 'the prompt to reach the client', 5_000);
      assert.equal(Buffer.concat(got).toString('latin1'), '\x01# ');
      browser.close();
      await until(() => client?.readyState === WebSocket.CLOSED, 'the relay to close');
    } finally {
      // A failure must not leave sockets holding the test file open.
      browser.terminate();
      agent.terminate();
    }
  });
});
