import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Endpoints, Ingress } from '../model/index.js';
import { matchRoute, routesOf } from './routes.js';
import { readyUpstreams } from './upstreams.js';

const ingress = (name: string, rules: Ingress['spec']['rules'], namespace = 'default'): Ingress => ({ apiVersion: 'drover/v1', kind: 'Ingress', metadata: { name, namespace }, spec: { rules } }) as Ingress;

describe('ingress routes', () => {
  const routes = routesOf([
    ingress('site', [
      { host: 'example.com', path: '/api', service: 'api' },
      { host: 'example.com', service: 'web' },
      { path: '/api/v2/', service: 'api2' },
      { service: 'fallback' },
    ]),
  ]);
  const cases: Array<[host: string | undefined, url: string, service: string | undefined]> = [
    ['example.com', '/api', 'api'],
    ['example.com', '/api/users?x=1', 'api'],
    ['EXAMPLE.com:8080', '/api/', 'api'],
    ['example.com', '/apix', 'web'],
    ['example.com', '/', 'web'],
    ['example.com', '/api/v2/x', 'api2'], // the longer path wins over the host
    ['other.org', '/api/v2', 'api2'],
    ['other.org', '/api', 'fallback'],
    [undefined, '/', 'fallback'],
  ];
  for (const [host, url, service] of cases) {
    it(`${host ?? '(no host)'} ${url} → ${service ?? 'none'}`, () => {
      assert.equal(matchRoute(routes, host, url)?.service, service);
    });
  }

  it('no rule for any host: an unknown host matches nothing', () => {
    const only = routesOf([ingress('a', [{ host: 'a.test', service: 'a' }])]);
    assert.equal(matchRoute(only, 'b.test', '/'), undefined);
  });
});

describe('ready upstreams', () => {
  const ep = {
    metadata: { name: 'web', namespace: 'default' },
    status: {
      ports: [{ name: 'http', protocol: 'tcp' }, { name: 'admin', protocol: 'tcp' }],
      addresses: [
        { task: 'web-a', machine: 'm1', host: '10.0.0.1', ports: { http: 8001, admin: 9001 }, ready: true },
        { task: 'web-b', machine: 'm2', host: '10.0.0.2', ports: { http: 8002, admin: 9002 }, ready: false },
        { task: 'web-c', machine: 'm3', host: '10.0.0.3', ports: { http: 8003, admin: 9003 }, ready: true },
      ],
    },
  } as unknown as Endpoints;

  it('skips unready tasks and rotates the start, defaulting to the first port', () => {
    assert.deepEqual(readyUpstreams(ep, undefined, undefined, 0).map((u) => u.port), [8001, 8003]);
    assert.deepEqual(readyUpstreams(ep, undefined, undefined, 1).map((u) => u.port), [8003, 8001]);
    assert.deepEqual(readyUpstreams(ep, 'admin', undefined, 2).map((u) => u.port), [9001, 9003]);
  });

  it('drops excluded tasks and unknown port names', () => {
    assert.deepEqual(readyUpstreams(ep, undefined, (t) => t === 'web-a', 0).map((u) => u.task), ['web-c']);
    assert.deepEqual(readyUpstreams(ep, 'nope', undefined, 0), []);
  });
});
