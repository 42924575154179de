// What one engine operation on a cluster did (pure): its report, and the line people read at its end.
import type { Op, OpResult } from "./operations.ts";

export interface OpReport extends OpResult {
  op: Op;
  stack: string;
  /** steps that change something */
  changed: number;
  ms: number;
}

/** "2 to update, 1 to create, 9 unchanged" (preview) or "2 updated, 9 unchanged". */
export function summaryLine(r: OpReport): string {
  const preview = r.op === "preview";
  const parts = Object.entries(r.changes)
    .filter(([k, n]) => n > 0 && k !== "refresh")
    .sort(([a], [b]) => Number(a === "same") - Number(b === "same"))
    .map(([k, n]) => (k === "same" ? `${n} unchanged` : preview ? `${n} to ${k}` : `${n} ${k}d`));
  return `${r.op}: ${parts.join(", ") || "nothing"} (${(r.ms / 1000).toFixed(1)} s)`;
}
