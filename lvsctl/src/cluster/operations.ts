// One engine operation on a cluster's stack (thin I/O shell over the Automation API), shared by the lab
// and `lvsctl up|preview|refresh|destroy`: `up`, `repair` (up --refresh), `refresh` and `destroy` report
// each resource step as it happens; `preview` (--refresh --diff) hands on the CLI's own text.
import { CommandError, type EngineEvent, type Stack } from "@pulumi/pulumi/automation/index.js";
import { engineFailure } from "./engine-output.ts";
import { removeDeadLocks } from "./stack-lock.ts";

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
  /** what people should know besides the engine's events (an interrupted run recovered from) */
  say: (line: string) => void;
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
      // Creates an interrupted run left pending are dropped: the next up runs them again, and every lvs
      // resource's create takes over what a killed one left on its host.
      return { changes: (await stack.refresh({ ...common, clearPendingCreates: true })).summary.resourceChanges ?? {} };
    case "destroy":
      // A host that does not answer must not keep the others' resources: what can go, goes; the failure
      // then says what is left (leftOver).
      return { changes: (await stack.destroy({ ...common, continueOnError: true })).summary.resourceChanges ?? {} };
  }
}

/**
 * A run killed before (pulumi with it: a stopped CI runner, the OOM killer, a reboot) left the stack's
 * lock, which would refuse this run, and may have left operations pending, which a non-interactive up
 * only warns about, run after run. Its lock is removed when lvsctl can tell the run is gone
 * (stack-lock.ts); then, unless this is a preview, the hosts are read back with its pending creates
 * dropped, as `pulumi refresh --clear-pending-creates` does.
 */
async function recoverInterrupted(stack: Stack, op: Op, out: OpOutput): Promise<void> {
  const settings = await stack.workspace.projectSettings();
  const url = settings.backend?.url;
  if (!url) return;
  const removed = removeDeadLocks(url, settings.name, stack.name);
  for (const line of removed) out.say(line);
  if (removed.length === 0 || op === "preview" || op === "refresh") return;
  out.say("the interrupted run may have left operations pending: pulumi refresh --clear-pending-creates first");
  await stack.refresh({ onEvent: out.onEvent, color: "never", clearPendingCreates: true });
}

/** Run op; a failure of the CLI becomes the engine's own diagnostics, by resource. */
export async function runOp(stack: Stack, op: Op, out: OpOutput, flags: OpFlags = {}): Promise<OpResult> {
  try {
    await recoverInterrupted(stack, op, out);
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
