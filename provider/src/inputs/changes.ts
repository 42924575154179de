// Diff (pure): which inputs changed, down to the leaf property, and whether the change needs a new
// resource. Each resource names the input paths that identify what it owns on the hosts (a VRID on a
// link, a service address, the host itself); a change there replaces the resource, any other change is
// an update in place. Replacements delete first: the old and the new resource would own the same file
// or address. The detailed diff is what `pulumi preview --diff` prints: one entry per changed leaf, in
// the engine's property-path syntax (`realServers[1].weight`, `sysctls["net.ipv4.vs.conntrack"]`),
// each comparing the old inputs (after a refresh: what Read found on the hosts) with the program's.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { getPath } from "../secrets.ts";
import type { AnySpec } from "./check.ts";
import { isObject, type Obj } from "./common.ts";

export type DiffKind = "add" | "add-replace" | "update" | "update-replace" | "delete" | "delete-replace";

/** One changed property; inputDiff: its old value is the old input (else the old output). */
export interface PropertyChange {
  kind: DiffKind;
  inputDiff: boolean;
}

export interface Changes {
  changes: boolean;
  /** top-level input properties whose change forces replacement */
  replaces: string[];
  /** top-level input properties that changed */
  changed: string[];
  deleteBeforeReplace: boolean;
  /** property path -> its change, for every changed leaf */
  detailedDiff: Record<string, PropertyChange>;
}

type Seg = string | number;

/** olds: the old inputs (or, lacking them, the last state); news: checked inputs. Both plain. */
export function diffInputs(spec: Pick<AnySpec, "schema" | "replaceOn">, olds: Obj, news: Obj): Changes {
  const keys = spec.schema instanceof z.ZodObject ? Object.keys(spec.schema.shape) : Object.keys(news);
  const changed = keys.filter((k) => !isDeepStrictEqual(olds[k], news[k]));
  const replacePaths = spec.replaceOn
    .map((p) => p.split("."))
    .filter((segs) => !isDeepStrictEqual(getPath(olds, segs), getPath(news, segs)));
  const replaces = [...new Set(replacePaths.map((segs) => segs[0]!))];
  const detailedDiff: Record<string, PropertyChange> = {};
  for (const k of changed) {
    for (const leaf of leafChanges(olds[k], news[k], [k])) {
      const replace = replacePaths.some((r) => isPrefix(r, leaf.path) || isPrefix(leaf.path, r));
      detailedDiff[formatPropertyPath(leaf.path)] = {
        kind: replace ? `${leaf.kind}-replace` : leaf.kind,
        inputDiff: true,
      };
    }
  }
  return { changes: changed.length > 0, replaces, changed, deleteBeforeReplace: replaces.length > 0, detailedDiff };
}

/** The changed leaves between two values: objects by key, arrays by index, anything else whole. */
export function leafChanges(
  a: unknown,
  b: unknown,
  path: Seg[],
): Array<{ path: Seg[]; kind: "add" | "update" | "delete" }> {
  if (isDeepStrictEqual(a, b)) return [];
  if (a === undefined) return [{ path, kind: "add" }];
  if (b === undefined) return [{ path, kind: "delete" }];
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => leafChanges(a[k], b[k], [...path, k]));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => leafChanges(a[i], b[i], [...path, i])).flat();
  }
  return [{ path, kind: "update" }];
}

/** The engine's property path: `a.b[0]`, with keys that are not identifiers quoted (`a["x.y"]`). */
export function formatPropertyPath(path: readonly Seg[]): string {
  return path
    .map((s, i) =>
      typeof s === "number"
        ? `[${s}]`
        : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s)
          ? `${i === 0 ? "" : "."}${s}`
          : `[${JSON.stringify(s)}]`,
    )
    .join("");
}

function isPrefix(prefix: readonly Seg[], path: readonly Seg[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

/**
 * The changes with the state's `drift` output (what differs on the hosts that no input shows) added:
 * a non-empty one makes an update, shown as that list going away.
 */
export function withDrift(c: Changes, oldState: Obj): Changes {
  const drift = oldState.drift;
  if (!Array.isArray(drift) || drift.length === 0) return c;
  return {
    ...c,
    changes: true,
    changed: [...c.changed, "drift"],
    detailedDiff: { ...c.detailedDiff, drift: { kind: "delete", inputDiff: false } },
  };
}
