// Diff (pure): which inputs changed, and whether the change needs a new resource. Each resource names
// the input paths that identify what it owns on the hosts (a VRID on a link, a service address, the
// host itself); a change there replaces the resource, any other change is an update in place.
// Replacements delete first: the old and the new resource would own the same file or address.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { getPath } from "../secrets.ts";
import type { AnySpec } from "./check.ts";
import type { Obj } from "./common.ts";

export interface Changes {
  changes: boolean;
  /** top-level input properties whose change forces replacement */
  replaces: string[];
  /** top-level input properties that changed */
  changed: string[];
  deleteBeforeReplace: boolean;
}

/** olds: the resource's last state (inputs plus computed outputs); news: checked inputs. Both plain. */
export function diffInputs(spec: Pick<AnySpec, "schema" | "replaceOn">, olds: Obj, news: Obj): Changes {
  const keys = spec.schema instanceof z.ZodObject ? Object.keys(spec.schema.shape) : Object.keys(news);
  const changed = keys.filter((k) => !isDeepStrictEqual(olds[k], news[k]));
  const replaces = [
    ...new Set(
      spec.replaceOn
        .map((p) => p.split("."))
        .filter((segs) => !isDeepStrictEqual(getPath(olds, segs), getPath(news, segs)))
        .map((segs) => segs[0]!),
    ),
  ];
  return { changes: changed.length > 0, replaces, changed, deleteBeforeReplace: replaces.length > 0 };
}
