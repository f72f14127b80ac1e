// The per-principal request rate limit: a token bucket per user name (anonymous callers: per
// source address), refilled lazily when the caller comes back, so a request costs a map lookup
// and a little arithmetic, and nothing at all for exempt callers (administrators by default, as
// Kubernetes exempts system:masters). Agents (group system:nodes) get their own, smaller buckets,
// one each, so 5,000 of them never share one, sized for a burst of a thousand task starts (each
// a few status reports); their heartbeats are never limited (a limited heartbeat would make the
// machine NotReady and its tasks Lost, issue 14's failure). Over the limit: 429 TooManyRequests with
// Retry-After, in the door's own error format (a façade's error handler answers its routes).
// Chosen over @fastify/rate-limit: it keys by the authenticated principal, exempts by group, and
// is ~80 lines without a dependency or a per-request allocation.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { ADMINISTRATORS_GROUP, NODES_GROUP, type Principal } from '../security/principal.js';

const HEARTBEAT_ROUTE = '/api/v1/machines/:name/heartbeat';

export interface RateLimitOptions {
  /** Requests per second one principal may sustain (default 100). */
  ratePerSecond?: number;
  /** Requests one principal may make at once, after being idle (default 1,000). */
  burst?: number;
  /** The same for each agent (principals in system:nodes): default 500/s, burst 5,000. */
  nodeRatePerSecond?: number;
  nodeBurst?: number;
  /** Groups never limited (default system:administrators). */
  exemptGroups?: string[];
}

interface Bucket {
  tokens: number;
  updatedMs: number;
  readonly ratePerMs: number;
  readonly burst: number;
}

/** Buckets beyond this many are swept of the full (idle) ones. */
const SWEEP_ABOVE = 10_000;

export function registerRateLimit(app: FastifyInstance, opts: RateLimitOptions = {}): void {
  const user = { rate: opts.ratePerSecond ?? 100, burst: opts.burst ?? 1_000 };
  const node = { rate: opts.nodeRatePerSecond ?? 500, burst: opts.nodeBurst ?? 5_000 };
  const exempt = new Set(opts.exemptGroups ?? [ADMINISTRATORS_GROUP]);
  // Two maps, so that a key is the name or the address as it is (no string built per request),
  // and a user named like an address never shares its bucket.
  const byUser = new Map<string, Bucket>();
  const byAddress = new Map<string, Bucket>();

  const isExempt = (p: Principal) => {
    for (const g of p.groups) if (exempt.has(g)) return true;
    return false;
  };
  const newBucket = (buckets: Map<string, Bucket>, p: Principal, now: number): Bucket => {
    if (buckets.size >= SWEEP_ABOVE) sweep(buckets, now);
    const size = p.groups.includes(NODES_GROUP) ? node : user;
    // A rate of 0 means no limit for that kind of caller.
    const burst = size.rate > 0 ? size.burst : Infinity;
    return { tokens: burst, updatedMs: now, ratePerMs: size.rate / 1000, burst };
  };
  // Idle callers' buckets are full again: forgetting them loses nothing.
  const sweep = (buckets: Map<string, Bucket>, now: number) => {
    for (const [key, b] of buckets) if (b.tokens + (now - b.updatedMs) * b.ratePerMs >= b.burst) buckets.delete(key);
  };

  app.addHook('onRequest', (req, _reply, done) => {
    const p = req.principal;
    if (!p || isExempt(p) || req.routeOptions.url === HEARTBEAT_ROUTE) return done();
    const buckets = p.anonymous ? byAddress : byUser;
    const key = p.anonymous ? req.ip : p.name;
    const now = Date.now();
    let b = buckets.get(key);
    if (b === undefined) buckets.set(key, (b = newBucket(buckets, p, now)));
    else {
      b.tokens = Math.min(b.burst, b.tokens + (now - b.updatedMs) * b.ratePerMs);
      b.updatedMs = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return done();
    }
    const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / b.ratePerMs / 1000));
    const who = p.anonymous ? `address ${req.ip}` : `user "${p.name}"`;
    const err = new ApiError('TooManyRequests', `too many requests from ${who}: the limit is ${Math.round(b.ratePerMs * 1000)} per second (bursts of ${b.burst}); retry after ${retryAfter} s`);
    err.headers['retry-after'] = String(retryAfter);
    done(err);
  });
}
