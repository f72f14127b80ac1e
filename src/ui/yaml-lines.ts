// Where a field the server named (a JSON pointer such as /spec/template/command/0) sits in the
// YAML document the user wrote: its line, found through the `yaml` package's node ranges. A path
// that goes deeper than the document (a required field that is missing) points at the deepest
// part that exists, which is where the field belongs.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';

function segments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The 1-based line of each pointer in `text` (absent: the text does not parse, or nothing fits). */
export function linesOfPaths(text: string, pointers: string[]): Map<string, number> {
  const out = new Map<string, number>();
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length || !doc.contents) return out;
  for (const pointer of pointers) {
    let node: unknown = doc.contents;
    let offset = (doc.contents as Node).range?.[0];
    for (const seg of segments(pointer)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === seg);
        if (!pair) break;
        // The key's line: where a person reads the field's name.
        offset = (pair.key as Node | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)] as Node | undefined;
        if (!/^\d+$/.test(seg) || !item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    if (offset !== undefined) out.set(pointer, counter.linePos(offset).line);
  }
  return out;
}
