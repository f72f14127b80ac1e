// Request checks done before a transaction is queued, so a bad request changes nothing and never
// reaches the batch. Mirrors etcd: a branch may not write one key twice, nor put a key it deletes.

import { isInRange, isSingleKey } from './key-range.js';
import { StoreError, type Op, type TxnRequest } from './store.js';

export function checkTxnRequest(request: TxnRequest): void {
  checkBranch(request.success ?? []);
  checkBranch(request.failure ?? []);
}

export function hasWrites(request: TxnRequest): boolean {
  return isWriting(request.success) || isWriting(request.failure);
}

function isWriting(ops: Op[] | undefined): boolean {
  return ops !== undefined && ops.some((op) => op.type !== 'range');
}

function checkBranch(ops: Op[]): void {
  for (const op of ops) {
    // Ranges may start at '' (every key); writes need a key.
    if (op.type !== 'range') checkKey(op.key);
    if (op.type === 'put' && typeof op.value !== 'string') throw new StoreError(`value of key "${op.key}" must be a string`);
    if (op.type === 'put' && op.lease !== undefined && !(Number.isSafeInteger(op.lease) && op.lease >= 0)) {
      throw new StoreError(`lease must be a non-negative integer, got ${op.lease}`);
    }
  }
  if (ops.length < 2) return;
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type !== 'put') continue;
    if (puts.has(op.key)) throw new StoreError(`duplicate key "${op.key}" in one transaction branch; write each key once`);
    puts.add(op.key);
  }
  for (const op of ops) {
    if (op.type !== 'delete') continue;
    for (const key of puts) {
      if (isInRange(key, op.key, op.end)) {
        const what = isSingleKey(op.end) ? 'deletes it' : 'deletes a range containing it';
        throw new StoreError(`transaction branch puts key "${key}" and ${what}; split the transaction`);
      }
    }
  }
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new StoreError('key must be a non-empty string');
}
