// Typebox's validation errors as the API's field errors: one per path, worded for a user.
import { ValueErrorType, type ValueError, type ValueErrorIterator } from '@sinclair/typebox/errors';
import type { FieldError } from '../../errors.js';

/** Every error of a failed check, under `prefix` (a JSON pointer), one message per path. */
export function fieldErrors(errors: ValueErrorIterator | Iterable<ValueError>, prefix = ''): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of expandUnions(errors)) {
    const fe = fieldError(e, prefix);
    // Typebox reports a union mismatch once per branch; one message per path is enough.
    if (seen.has(fe.path)) continue;
    seen.add(fe.path);
    out.push(fe);
  }
  return out;
}

/**
 * A union whose value has the shape of one branch (env: a map, or a list) is reported by that
 * branch's own errors ("/env/A: expected string"), not as "expected union value".
 */
function* expandUnions(errors: Iterable<ValueError>): Iterable<ValueError> {
  for (const e of errors) {
    if (e.type === ValueErrorType.Union && !literalOptions(e.schema)) {
      const inner = e.errors.map((it) => [...it]).find((branch) => branch.length > 0 && branch.every((b) => b.path.length > e.path.length));
      if (inner) {
        yield* expandUnions(inner);
        continue;
      }
    }
    yield e;
  }
}

/** Typebox's messages, reworded where they would puzzle a user. */
function fieldError(e: ValueError, prefix: string): FieldError {
  if (e.type === ValueErrorType.ObjectRequiredProperty) return { path: prefix + e.path, message: 'is required' };
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return { path: prefix + e.path, message: 'unknown field' };
  if (e.type === ValueErrorType.Union) {
    const options = literalOptions(e.schema);
    if (options) return { path: prefix + e.path, message: `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(e.value)}` };
  }
  return { path: prefix + e.path, message: e.message.replace(/^Expected/, 'expected') };
}

/** The allowed values of a union of literals (an enum), so the error can list them. */
function literalOptions(schema: unknown): unknown[] | undefined {
  const anyOf = (schema as { anyOf?: { const?: unknown }[] }).anyOf;
  if (!anyOf?.length || !anyOf.every((s) => 'const' in s)) return undefined;
  return anyOf.map((s) => s.const);
}
