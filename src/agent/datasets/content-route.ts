// GET /v1/datasets/:id/content on the agent API: the dataset as a tar stream (see tar-send.ts),
// for the server to relay to the new primary during a move. A stream that fails mid-way is cut,
// never ended cleanly: the receiver then misses the manifest and discards what it got.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';

export function registerDatasetContent(app: FastifyInstance, content: (id: string) => Readable, track: (res: ServerResponse, end: () => void) => void): void {
  app.get('/v1/datasets/:id/content', async (req, reply) => {
    const { id } = req.params as { id: string };
    const stream = content(id); // throws with a statusCode when this machine may not send it now
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/x-tar', 'cache-control': 'no-cache' });
    track(res, () => stream.destroy(new Error('the agent is shutting down')));
    try {
      await pipeline(stream, res);
    } catch {
      res.destroy();
    }
  });
}
