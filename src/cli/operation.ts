// `drover operation resume|wait`: what is done with an operation after it was started. Resume
// starts a new operation of the same type on the same target whose params.resume names the
// failed one, so the hosts it finished are skipped; the failed operation stays as the record.
import type { Command } from 'commander';
import type { ClusterOperationParams, ClusterOperationType } from '../model/index.js';
import { CLUSTER_OPERATION_TYPES } from '../model/index.js';
import { startClusterOperation } from './cluster.js';
import { clientFor } from './config.js';
import { examples } from './help.js';
import { waitForOperation } from './operation-wait.js';
import { parseDuration } from './output.js';

export function registerOperationCommands(program: Command): void {
  const operation = program
    .command('operation')
    .description('act on operations: resume a failed cluster operation, wait for one')
    .addHelpText('after', examples(`
        drover operation resume op-7f3k2 --wait
        drover operation wait op-7f3k2`));

  operation
    .command('resume')
    .description('start a failed cluster operation again: the hosts it finished are skipped')
    .argument('<operation>', 'the Failed operation')
    .option('--wait', 'wait for the new operation to finish, showing its progress')
    .option('--timeout <duration>', 'with --wait: how long to wait', '1h')
    .addHelpText('after', examples(`
        drover operation resume op-7f3k2 --wait`))
    .action(async (name: string, opts: { wait?: boolean; timeout: string }, cmd: Command) => {
      const client = clientFor(cmd);
      const failed = await client.operations.get(name.replace(/^(operation|op)\//, ''));
      const type = failed.spec.type as ClusterOperationType;
      if (!(CLUSTER_OPERATION_TYPES as readonly string[]).includes(type)) throw new Error(`operation "${failed.metadata.name}" is a ${type}: only cluster operations (${CLUSTER_OPERATION_TYPES.join(', ')}) can be resumed`);
      if (failed.status?.phase !== 'Failed') throw new Error(`operation "${failed.metadata.name}" is ${failed.status?.phase ?? 'Pending'}: only a Failed operation can be resumed`);
      const { resume: _previous, ...params } = (failed.spec.params ?? {}) as ClusterOperationParams;
      await startClusterOperation(client, type, failed.spec.target!.name, { ...params, resume: failed.metadata.name }, opts);
    });

  operation
    .command('wait')
    .description('wait for an operation to finish, showing its progress; fails when it does')
    .argument('<operation>', 'the operation')
    .option('--timeout <duration>', 'how long to wait', '1h')
    .addHelpText('after', examples(`
        drover operation wait op-7f3k2 --timeout 30m`))
    .action(async (name: string, opts: { timeout: string }, cmd: Command) => {
      const done = await waitForOperation(clientFor(cmd), name.replace(/^(operation|op)\//, ''), parseDuration(opts.timeout, '--timeout'));
      console.log(`operation/${done.metadata.name} succeeded`);
    });
}
