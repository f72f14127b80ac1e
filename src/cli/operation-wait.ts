// Waiting for an Operation from the command line: a progress line that rewrites itself on a TTY
// (plain lines otherwise, one per change), long-polling the server with ?wait= rather than
// hammering it, and a failure that ends the command with the operation's own error.
import type { Client, Operation } from '../client/client.js';
import { progressText } from './operation-views.js';
import { ProgressLine } from './output.js';

export async function waitForOperation(client: Client, name: string, timeoutMs: number): Promise<Operation> {
  const progress = new ProgressLine();
  const deadline = Date.now() + timeoutMs;
  const path = `/api/v1/operations/${encodeURIComponent(name)}`;
  try {
    for (;;) {
      const op = (await client.request<Operation>('GET', path, { query: { wait: '1s' } })).body;
      progress.update(progressText(op));
      if (op.status?.phase === 'Succeeded') return op;
      if (op.status?.phase === 'Failed') throw new Error(`operation/${name} failed: ${op.status.error ?? 'no error recorded'}\n(drover describe operation ${name} shows each host's step)`);
      if (Date.now() > deadline) throw new Error(`operation/${name} still ${op.status?.phase ?? 'Pending'} after the --timeout; it goes on on the server: drover describe operation ${name}`);
    }
  } finally {
    progress.done();
  }
}
