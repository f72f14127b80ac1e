import { agentBurst } from './agent-burst.js';
import { agentIdle } from './agent-idle.js';
import { apiRead, apiWrite } from './api.js';
import { coldStart } from './cold-start.js';
import { consoleLoad } from './console.js';
import { converge } from './converge.js';
import { datasetMove } from './dataset-move.js';
import { dns } from './dns.js';
import { fleet } from './fleet.js';
import { ingress } from './ingress.js';
import type { Row } from './report.js';
import { schedule } from './schedule.js';
import { watchFanout } from './watch-fanout.js';

export interface Benchmark {
  name: string;
  description: string;
  run(opts: { quick: boolean }): Promise<Row[]>;
}

/** Every benchmark, in the order a full run executes them. */
export const benchmarks: Benchmark[] = [
  { name: 'api-read', description: 'GET one object vs. bare node:http, c=64', run: apiRead },
  { name: 'api-write', description: 'creates vs. etcd 3.4 puts, c=64', run: apiWrite },
  { name: 'schedule', description: 'hollow machines: submit → all tasks bound', run: schedule },
  { name: 'converge', description: 'service PUT → Running on a local agent vs. spawn', run: converge },
  { name: 'agent-burst', description: '1,000 one-off tasks at once to one agent → all finished vs. spawning them from Node', run: agentBurst },
  { name: 'agent-idle', description: 'a real agent with 200 idle tasks: its CPU and RSS, and each task supervisor\'s RSS', run: agentIdle },
  { name: 'watch-fanout', description: 'watchers in child processes: write ack → event parsed', run: watchFanout },
  { name: 'cold-start', description: 'drover dev --agents 3 → 3 Ready machines', run: coldStart },
  { name: 'console-load', description: 'the web console in chromium: navigation → first data row vs. a bare page fetching the same list', run: consoleLoad },
  { name: 'fleet', description: 'schedule and read workloads through /fleet/v1', run: fleet },
  { name: 'dns', description: 'DNS queries/s over UDP vs. a bare dgram + dns-packet responder', run: dns },
  { name: 'ingress', description: 'requests/s through the layer 7 ingress proxy vs. the same HTTP server directly, c=64', run: ingress },
  { name: 'dataset-move', description: '200 MB of files moved between two agents vs. tar c | tar x + sync', run: datasetMove },
];
