// Translation between the Store's types and etcd's protobuf messages as the etcd3 client shapes
// them: keys and values as UTF-8 buffers, revisions and counts as decimal strings (int64), and
// transaction operations and their responses. Pure: no calls, no store state.
import etcd3 from 'etcd3';
import type { ICompare, IKeyValue, IRequestOp, IResponseOp } from 'etcd3';
import type { Compare, KeyValue, Op, OpResult, RangeOptions } from './store.js';

const { CompareResult, CompareTarget } = etcd3;

export const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
export const num = (v: string | number | undefined | null): number => (v === undefined || v === null || v === '' ? 0 : Number(v));

export function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value ? kv.value.toString('utf8') : '',
    createRevision: num(kv.create_revision),
    modRevision: num(kv.mod_revision),
    version: num(kv.version),
    lease: num(kv.lease),
  };
}

const compareOps: Record<Compare['op'], number> = {
  '=': CompareResult.Equal,
  '!=': CompareResult.NotEqual,
  '<': CompareResult.Less,
  '>': CompareResult.Greater,
};

export function toCompare(c: Compare): ICompare {
  const base = { key: enc(c.key), result: compareOps[c.op] };
  switch (c.target) {
    case 'modRevision':
      return { ...base, target: CompareTarget.Mod, mod_revision: c.value };
    case 'createRevision':
      return { ...base, target: CompareTarget.Create, create_revision: c.value };
    case 'version':
      return { ...base, target: CompareTarget.Version, version: c.value };
    case 'value':
      return { ...base, target: CompareTarget.Value, value: enc(c.value) };
    case 'lease':
      return { ...base, target: CompareTarget.Lease, lease: c.value };
  }
}

export function rangeRequest(key: string, options: RangeOptions = {}) {
  return {
    key: enc(key),
    ...(options.end !== undefined ? { range_end: enc(options.end) } : {}),
    ...(options.revision ? { revision: options.revision } : {}),
    ...(options.limit ? { limit: options.limit } : {}),
    ...(options.countOnly ? { count_only: true } : {}),
  };
}

export function toRequestOp(op: Op): IRequestOp {
  switch (op.type) {
    case 'put':
      return { request_put: { key: enc(op.key), value: enc(op.value), prev_kv: true, ...(op.lease ? { lease: op.lease } : {}) } };
    case 'delete':
      return { request_delete_range: { key: enc(op.key), ...(op.end !== undefined ? { range_end: enc(op.end) } : {}), prev_kv: true } };
    case 'range':
      return { request_range: rangeRequest(op.key, op.options) };
  }
}

/** The results of the branch that ran (`ops`), from etcd's responses; `revision` is the txn's. */
export function toOpResults(ops: Op[], responses: IResponseOp[], revision: number): OpResult[] {
  return ops.map((op, i) => {
    const r = responses[i];
    switch (op.type) {
      case 'put': {
        const prev = r?.response_put?.prev_kv;
        return prev ? { type: 'put', prev: toKeyValue(prev) } : { type: 'put' };
      }
      case 'delete':
        return {
          type: 'delete',
          deleted: num(r?.response_delete_range?.deleted),
          prev: (r?.response_delete_range?.prev_kvs ?? []).map(toKeyValue),
        };
      case 'range': {
        const range = r?.response_range;
        const at = op.options?.revision;
        return {
          type: 'range',
          result: {
            kvs: (range?.kvs ?? []).map(toKeyValue),
            more: Boolean(range?.more),
            count: num(range?.count),
            revision: at && at > 0 ? at : revision,
          },
        };
      }
    }
  });
}
