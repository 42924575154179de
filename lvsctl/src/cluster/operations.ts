// One engine operation on a cluster's stack (thin I/O shell over the Automation API), shared by the lab
// and `lvsctl up|preview|refresh|destroy`: `up`, `repair` (up --refresh), `refresh` and `destroy` report
// each resource step as it happens; `preview` (--refresh --diff) hands on the CLI's own text.
import { CommandError, type EngineEvent, type Stack } from "@pulumi/pulumi/automation/index.js";
import { engineFailure } from "./engine-output.ts";

export const OPS = ["up", "repair", "preview", "refresh", "destroy"] as const;
export type Op = (typeof OPS)[number];

/** The CLI command each operation is, as people know it. */
export const OP_COMMAND: Record<Op, string> = {
  up: "pulumi up",
  repair: "pulumi up --refresh",
  preview: "pulumi preview --refresh --diff",
  refresh: "pulumi refresh",
  destroy: "pulumi destroy",
};

export interface OpResult {
  /** the engine's count of steps by kind ("update", "same", ...) */
  changes: Record<string, number>;
  outputs?: Record<string, unknown>;
}

export interface OpOutput {
  onEvent: (e: EngineEvent) => void;
  /** the CLI's own text (preview) */
  onOutput: (text: string) => void;
}

/** Steps that change something: anything but "same" (and the refresh's own reads). */
export function changed(changes: Record<string, number>): number {
  return Object.entries(changes)
    .filter(([kind]) => kind !== "same" && kind !== "refresh")
    .reduce((n, [, count]) => n + count, 0);
}

export interface OpFlags {
  /** up/repair: go on past a failed resource with every step that does not depend on it (pulumi's
   *  --continue-on-error), so what could be deployed is, whichever step the engine started first */
  continueOnError?: boolean;
}

async function run(stack: Stack, op: Op, out: OpOutput, flags: OpFlags): Promise<OpResult> {
  const common = { onEvent: out.onEvent, color: "never" as const };
  switch (op) {
    case "up":
    case "repair": {
      // repair starts from what the hosts hold now, not the last state: every hand edit is undone.
      const r = await stack.up({ ...common, refresh: op === "repair", continueOnError: flags.continueOnError });
      const outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value as unknown]));
      return { changes: r.summary.resourceChanges ?? {}, outputs };
    }
    case "preview": {
      const r = await stack.preview({ refresh: true, diff: true, color: "never", onOutput: out.onOutput });
      return { changes: r.changeSummary };
    }
    case "refresh":
      return { changes: (await stack.refresh(common)).summary.resourceChanges ?? {} };
    case "destroy":
      // A host that does not answer must not keep the others' resources: what can go, goes; the failure
      // then says what is left (leftOver).
      return { changes: (await stack.destroy({ ...common, continueOnError: true })).summary.resourceChanges ?? {} };
  }
}

/** Run op; a failure of the CLI becomes the engine's own diagnostics, by resource. */
export async function runOp(stack: Stack, op: Op, out: OpOutput, flags: OpFlags = {}): Promise<OpResult> {
  try {
    return await run(stack, op, out, flags);
  } catch (err) {
    const failure = engineFailure(OP_COMMAND[op], err as Error, err instanceof CommandError);
    if (op === "destroy" && err instanceof CommandError) failure.message += await leftOver(stack);
    throw failure;
  }
}

/** After a failed destroy: the resources still in the state, and what to do about them. */
async function leftOver(stack: Stack): Promise<string> {
  const names = await stack
    .exportStack()
    .then((d) =>
      ((d.deployment as { resources?: Array<{ type: string; urn: string; custom?: boolean }> }).resources ?? [])
        .filter((r) => r.custom && r.type.startsWith("lvs:"))
        .map((r) => `${r.type.split(":").pop()} ${r.urn.split("::").pop()}`),
    )
    .catch(() => [] as string[]);
  if (names.length === 0) return "";
  return (
    `\nleft in the state, not destroyed: ${names.join(", ")}` +
    `\nrun destroy again once their hosts answer, or forget them (their hosts keep what they hold): pulumi state delete <urn>`
  );
}
