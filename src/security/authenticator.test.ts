import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { ClusterAuthenticator } from './authenticator.js';

describe('ClusterAuthenticator and client certificates', () => {
  const auth = new ClusterAuthenticator({ credentials: { token: () => undefined, user: () => undefined } });
  const request = (socket: object) => ({ url: '/api/v1/services', method: 'GET', headers: {}, raw: { socket } }) as unknown as FastifyRequest;

  it('a TLS socket destroyed before its certificate is read (getPeerCertificate() is null) is unauthenticated, not a crash', () => {
    const gone = { encrypted: true, authorized: true, getPeerCertificate: () => null };
    assert.throws(() => auth.authenticate(request(gone)), (err: unknown) => err instanceof ApiError && err.code === 401);
  });

  it('a verified certificate names the principal by its CN and groups by its O', () => {
    const socket = { encrypted: true, authorized: true, getPeerCertificate: () => ({ subject: { CN: 'ann', O: ['ops', 'dev'] } }) };
    assert.deepEqual(auth.authenticate(request(socket)), { name: 'ann', groups: ['ops', 'dev'], anonymous: false });
  });
});
