// What each server-side command loads before it runs: only its own part of drover. An agent
// that loaded the server (its store, API and controllers) and etcd's gRPC client took 1.8 s to
// start on a slow machine instead of 0.7 s; every machine pays it at boot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packagesLoadedBy as loadedBy } from '../helpers.js';
import { baseEnv, droverBin } from './drover.js';

const packagesLoadedBy = (args: string[]) => loadedBy([droverBin, ...args], baseEnv());

describe('what a command loads', () => {
  it('drover agent loads neither the server nor etcd\'s client; drover server loads the server', () => {
    const agent = packagesLoadedBy(['agent', '--help']);
    assert.ok(agent.includes('commander'), `the probe sees packages (${agent.join(', ')})`);
    // The server's store, metrics and SSH client, and etcd's client (the agent has an HTTP server of its own: fastify is allowed).
    for (const pkg of ['better-sqlite3', 'prom-client', 'ssh2', 'etcd3', '@grpc/grpc-js']) assert.ok(!agent.includes(pkg), `drover agent loaded ${pkg}`);
    const server = packagesLoadedBy(['server', '--help']);
    assert.ok(server.includes('better-sqlite3') && server.includes('fastify'), 'drover server loads its store and HTTP server');
    assert.ok(!server.includes('etcd3'), 'but not etcd\'s client before it is asked for etcd');
  });

  it('drover backup loads etcd\'s client only for a store on etcd', () => {
    const backup = packagesLoadedBy(['backup', '--help']);
    for (const pkg of ['fastify', 'etcd3']) assert.ok(!backup.includes(pkg), `drover backup loaded ${pkg}`);
  });
});
