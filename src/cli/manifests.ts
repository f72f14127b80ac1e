// Manifests as `apply -f` and `delete -f` read them: YAML or JSON, several documents per file, a
// List's items, a directory of .yaml/.yml/.json files, or stdin. A file that cannot be read or
// parsed is a problem of that file alone: the caller decides whether the others go ahead.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AnyObject } from '../model/index.js';
import { kindOfManifest, type CliKind } from './kinds.js';

export interface Manifest {
  kind: CliKind;
  object: AnyObject;
  /** Where it came from: "web.yaml", "web.yaml (document 2)", "stdin". */
  source: string;
}

export interface ManifestProblem {
  source: string;
  message: string;
}

export interface ManifestSet {
  manifests: Manifest[];
  problems: ManifestProblem[];
  /** Both, in the order of the files and of the documents in them. */
  inOrder: (Manifest | ManifestProblem)[];
}

export const isProblem = (e: Manifest | ManifestProblem): e is ManifestProblem => 'message' in e;

function filesIn(path: string): string[] {
  if (path === '-') return ['-'];
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error('no such file or directory');
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .map((n) => join(path, n));
}

/** Every object in the files (a List's items are its objects), checked for kind and name. */
export function readManifests(paths: string[]): ManifestSet {
  const set: ManifestSet = { manifests: [], problems: [], inOrder: [] };
  for (const path of paths) {
    let files: string[];
    try {
      files = filesIn(path);
    } catch (err) {
      addProblem(set, { source: path, message: `cannot read it: ${(err as Error).message}` });
      continue;
    }
    for (const file of files) readFile(file, set);
  }
  return set;
}

function readFile(file: string, set: ManifestSet): void {
  const name = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    addProblem(set, { source: name, message: `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return;
  }
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const source = `${name}${list.length > 1 ? ` (document ${i + 1})` : ''}`;
    if (doc.errors.length) {
      // yaml's first line ends with ":" before a code excerpt we do not show.
      addProblem(set, { source, message: `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}` });
      return;
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) return;
    const objects = isList(value) ? (value as { items: unknown[] }).items : [value];
    for (const o of objects) {
      const problem = manifestProblem(o);
      if (problem) addProblem(set, { source, message: problem });
      else {
        const manifest = { kind: kindOfManifest((o as AnyObject).kind)!, object: o as AnyObject, source };
        set.manifests.push(manifest);
        set.inOrder.push(manifest);
      }
    }
  });
}

function addProblem(set: ManifestSet, problem: ManifestProblem): void {
  set.problems.push(problem);
  set.inOrder.push(problem);
}

function isList(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string' && (v as { kind: string }).kind.endsWith('List') && Array.isArray((v as { items?: unknown }).items);
}

function manifestProblem(o: unknown): string | undefined {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'expected an object with kind, metadata.name and spec';
  const obj = o as AnyObject;
  if (typeof obj.kind !== 'string') return 'kind is missing; add e.g. "kind: Service"';
  if (!kindOfManifest(obj.kind)) return `unknown kind "${obj.kind}"; use Machine, Service, Task or Operation`;
  if (typeof obj.metadata?.name !== 'string' || !obj.metadata.name) return 'metadata.name is missing';
  return undefined;
}

/** Throws every problem at once (for commands that must not act on part of the input). */
export function requireNoProblems(set: ManifestSet): Manifest[] {
  if (set.problems.length === 0) return set.manifests;
  const [first, ...rest] = set.problems;
  if (rest.length === 0) throw new Error(`${first!.source}: ${first!.message}`);
  throw new Error(`${set.problems.length} problems in the manifests; nothing was done:\n${set.problems.map((p) => `  ${p.source}: ${p.message}`).join('\n')}`);
}
