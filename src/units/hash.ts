// The unit hash fleet shows (list-unit-files HASH, UnitState.hash) and compares (a PUT whose
// options hash differently is a new unit file: 201, else 204): SHA-1 of the serialized unit,
// i.e. of the bytes `fleetctl cat` prints. See fleet's unit/unit.go Hash() and Bytes().
import { createHash } from 'node:crypto';
import type { UnitOption } from '../model/index.js';
import { serializeUnit } from './parse.js';

/** 40 lowercase hex digits. An empty option list hashes the empty string. */
export function unitHash(options: readonly UnitOption[]): string {
  return createHash('sha1').update(serializeUnit(options), 'utf8').digest('hex');
}

/** The 7-digit form fleetctl prints without --full (fleet's Hash.Short). */
export function shortUnitHash(hash: string): string {
  return hash.slice(0, 7);
}
