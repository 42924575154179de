// A YAML or JSON file (a cluster file, a rollout plan) as data with positions (pure; JSON is read as
// YAML, which it is), and for any path into it ("directors", 0, "connection", "host") the line and
// column where the user wrote it, so every problem names its line. Syntax errors come back with theirs.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";

export type Path = readonly (string | number)[];

export interface Position {
  line: number;
  col: number;
}

export interface YamlSource {
  value: unknown;
  /** where the value at path (or the deepest part of it the file holds) was written */
  positionOf(path: Path): Position;
}

export type SourceResult = { ok: true; source: YamlSource } | { ok: false; problems: Located[] };

export interface Located extends Position {
  message: string;
}

/** The node a path's last key names: for a map key, the key itself (that is where an unknown key is). */
function childNode(node: unknown, seg: string | number): { key?: Node; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
    return pair ? { key: pair.key as Node, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof seg === "number") {
    const item = node.items[seg];
    return item === undefined ? undefined : { value: item };
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | undefined)?.range?.[0];
}

export function parseYamlSource(text: string): SourceResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => lineCounter.linePos(offset);
  if (doc.errors.length > 0)
    return {
      ok: false,
      problems: doc.errors.map((e) => ({ ...at(e.pos[0]), message: e.message.split("\n")[0]! })),
    };
  const positionOf = (path: Path): Position => {
    let node: unknown = doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const seg of path) {
      const child = childNode(node, seg);
      if (!child) break;
      // The last segment points at its key (a map entry) or its value (a list item).
      offset = rangeStart(child.key) ?? rangeStart(child.value) ?? offset;
      node = child.value;
    }
    return at(offset);
  };
  return { ok: true, source: { value: doc.toJS(), positionOf } };
}
