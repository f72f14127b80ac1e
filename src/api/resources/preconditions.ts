// The HTTP side of preconditions: If-Match names the revision a write applies to. (What a
// body's metadata asks for is the registry's to check, whichever door the body came in by.)
import type { FastifyRequest } from 'fastify';
import { BadRequest } from '../../errors.js';
import type { Preconditions } from '../../registry/index.js';

export function ifMatch(req: FastifyRequest): Preconditions {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return {};
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!m) throw new BadRequest(`the If-Match header must be an ETag like "42", got ${header}`);
  return { revision: Number(m[1]) };
}
