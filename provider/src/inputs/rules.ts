// Helpers for cross-field rules, which read the raw input: each skips values of the wrong type, since
// the schema reports those.
import type { PathSegment, Problem } from "./check.ts";
import { isObject, type Obj } from "./common.ts";

export function eachObject(list: unknown, fn: (entry: Obj, i: number) => void): void {
  if (!Array.isArray(list)) return;
  list.forEach((e: unknown, i) => {
    if (isObject(e)) fn(e, i);
  });
}

/** A host listed twice would get the same file twice (and lose one owner's changes). */
export function duplicateHosts(
  list: unknown,
  hostOf: (entry: Obj) => unknown,
  at: (i: number) => PathSegment[],
): Problem[] {
  const first = new Map<string, number>();
  const out: Problem[] = [];
  eachObject(list, (entry, i) => {
    const host = hostOf(entry);
    if (typeof host !== "string") return;
    const j = first.get(host);
    if (j === undefined) first.set(host, i);
    else out.push({ path: at(i), message: `the same host as entry [${j}]` });
  });
  return out;
}

/**
 * `<name>@<host>,<host>...` (a Vip's or VirtualServer's import id: its name, and the directors holding
 * its fragment), or undefined when the id is not of that form.
 */
export function parseNameAtHosts(id: string): { name: string; hosts: string[] } | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})@([^@\s,]+(,[^@\s,]+)*)$/.exec(id);
  return m ? { name: m[1]!, hosts: m[2]!.split(",") } : undefined;
}
