// How large a YAML document becomes once its aliases are expanded, estimated from its syntax
// tree before anything is built: a 0.9 MB body with one anchor aliased 99 times became a 90 MB
// object (six such requests held 2.35 GB). Each alias costs what its anchored node costs,
// nested aliases included; the document is refused before toJS() builds it.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/** Source characters the document stands for with every alias expanded (an estimate, from above). */
export function expandedSize(doc: Document): number {
  const memo = new Map<Node, number>();
  const sizeOf = (node: unknown, depth: number): number => {
    if (depth > 200) return Infinity; // aliases of aliases of…: refuse rather than recurse
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) return 0;
      let s = memo.get(target);
      if (s === undefined) memo.set(target, (s = sizeOf(target, depth + 1)));
      return s;
    }
    if (isPair(node)) return sizeOf(node.key, depth + 1) + sizeOf(node.value, depth + 1) + 2;
    if (isScalar(node)) return node.range ? node.range[1] - node.range[0] : String(node.value).length;
    if (isMap(node) || isSeq(node)) {
      let s = 2;
      for (const item of node.items) s += sizeOf(item, depth + 1) + 2;
      return s;
    }
    return 0;
  };
  return sizeOf(doc.contents, 0);
}
