// Commissaire's routing table (commissaire_http/server/routing.py and each handler module's
// _register): path → method → handler. Paths registered with a trailing "/" take it optionally
// (Router(optional_slash=True)); the others (deploy/upgrade/restart, creds) take none. Parameters
// are matched by ROUTING_RX_PARAMS: names [a-zA-Z0-9-_]+, hosts and addresses [a-zA-Z0-9-_.]+
// (the status route has no requirement: anything but "/").
import { addMember, checkMember, listMembers, removeMember, replaceMembers } from './members.js';
import { createCluster, deleteCluster, getCluster, listClusters } from './clusters.js';
import { CONTAINER_MANAGERS, createConfig, deleteConfig, getConfig, listConfigs, NETWORKS } from './configs.js';
import type { CommissaireDoor } from './door.js';
import { createHost, deleteHost, getHost, getHostCreds, getHostStatus, inferredAddress, listHosts } from './hosts.js';
import { getOperation, startOperation, type OperationPath } from './operations.js';

export interface Call {
  door: CommissaireDoor;
  /** The path's parameters, by name. */
  args: Record<string, string>;
  /** get_params of a PUT: the JSON body, 400 when it is not an object (a DELETE's body is never read, as there). */
  params(): Record<string, unknown>;
  /** The peer's address (PUT /api/v0/host). */
  peer: string | undefined;
}

export type Handler = (c: Call) => unknown;

/** PUT answers 201 except where a route is action='add' (a member added to a set): 200. */
export interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, Handler>>;
  memberAdd?: boolean;
}

const NAME = '(?<name>[a-zA-Z0-9_-]+)';
const HOST = '(?<host>[a-zA-Z0-9_.-]+)';
const ADDRESS = '(?<address>[a-zA-Z0-9_.-]+)';
const path = (p: string) => new RegExp(`^/api/v0${p}$`);

const operationRoute = (op: OperationPath): Route => ({
  pattern: path(`/cluster/${NAME}/${op}`),
  methods: {
    GET: ({ door, args }) => getOperation(door, op, args.name!),
    PUT: ({ door, args, params }) => startOperation(door, op, args.name!, params()),
  },
});

export const ROUTES: Route[] = [
  { pattern: path('/clusters/?'), methods: { GET: ({ door }) => listClusters(door) } },
  {
    pattern: path(`/cluster/${NAME}/?`),
    methods: {
      GET: ({ door, args }) => getCluster(door, args.name!),
      PUT: ({ door, args, params }) => createCluster(door, args.name!, params()),
      DELETE: ({ door, args }) => deleteCluster(door, args.name!),
    },
  },
  {
    pattern: path(`/cluster/${NAME}/hosts/?`),
    memberAdd: true,
    methods: {
      GET: ({ door, args }) => listMembers(door, args.name!),
      PUT: ({ door, args, params }) => replaceMembers(door, args.name!, params()),
    },
  },
  {
    pattern: path(`/cluster/${NAME}/hosts/${HOST}/?`),
    memberAdd: true,
    methods: {
      GET: ({ door, args }) => checkMember(door, args.name!, args.host!),
      PUT: ({ door, args, params }) => (params(), addMember(door, args.name!, args.host!)),
      DELETE: ({ door, args }) => removeMember(door, args.name!, args.host!),
    },
  },
  operationRoute('deploy'),
  operationRoute('upgrade'),
  operationRoute('restart'),
  { pattern: path('/containermanagers/?'), methods: { GET: ({ door }) => listConfigs(door, CONTAINER_MANAGERS) } },
  {
    pattern: path(`/containermanager/${NAME}/?`),
    methods: {
      GET: ({ door, args }) => getConfig(door, CONTAINER_MANAGERS, args.name!),
      PUT: ({ door, args, params }) => createConfig(door, CONTAINER_MANAGERS, args.name!, params()),
      DELETE: ({ door, args }) => deleteConfig(door, CONTAINER_MANAGERS, args.name!),
    },
  },
  { pattern: path('/networks/?'), methods: { GET: ({ door }) => listConfigs(door, NETWORKS) } },
  {
    pattern: path(`/network/${NAME}/?`),
    methods: {
      GET: ({ door, args }) => getConfig(door, NETWORKS, args.name!),
      PUT: ({ door, args, params }) => createConfig(door, NETWORKS, args.name!, params()),
      DELETE: ({ door, args }) => deleteConfig(door, NETWORKS, args.name!),
    },
  },
  { pattern: path('/hosts/?'), methods: { GET: ({ door }) => listHosts(door) } },
  {
    pattern: path('/host/?'),
    methods: {
      PUT: ({ door, params, peer }) => {
        const p = params();
        return createHost(door, inferredAddress(p, peer), p);
      },
    },
  },
  { pattern: path(`/host/${ADDRESS}/creds`), methods: { GET: ({ door, args }) => getHostCreds(door, args.address!) } },
  { pattern: path('/host/(?<address>[^/]+)/status/?'), methods: { GET: ({ door, args }) => getHostStatus(door, args.address!) } },
  {
    pattern: path(`/host/${ADDRESS}/?`),
    methods: {
      GET: ({ door, args }) => getHost(door, args.address!),
      PUT: ({ door, args, params }) => createHost(door, args.address!, params()),
      DELETE: ({ door, args }) => deleteHost(door, args.address!),
    },
  },
];

/** The route and its path parameters for `method path`; undefined: Commissaire's 404 (an unknown path or method alike). */
export function route(method: string, decodedPath: string): { route: Route; handler: Handler; args: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    const m = r.pattern.exec(decodedPath);
    const handler = m && r.methods[method];
    if (m && handler) return { route: r, handler, args: { ...m.groups } };
  }
  return undefined;
}
