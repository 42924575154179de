// `lvsctl lab engine up|repair|preview|destroy --name N`: one engine operation on the lab's stack, run by the
// lab commands inside the control namespace (thin I/O shell). `up`, `repair` (up --refresh) and `destroy` print each resource
// step; `preview` runs `pulumi preview --refresh --diff` and prints the CLI's own text, as a user sees
// it. The result (changes per operation) is written to <lab>/last-<op>.json for the caller.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readKeys } from "./access.ts";
import { CommandError, type EngineEvent, type Stack } from "@pulumi/pulumi/automation/index.js";
import { labStack } from "./engine.ts";
import { describeEvent, engineFailure } from "./engine-output.ts";
import { labDir, readRecord } from "./record.ts";
import { labClusterSpec, topology } from "./topology.ts";
import { pulumiRoot } from "./up.ts";

export const ENGINE_OPS = ["up", "repair", "preview", "destroy"] as const;
export type EngineOp = (typeof ENGINE_OPS)[number];

export async function engineOp(name: string, op: EngineOp): Promise<number> {
  const rec = readRecord(name);
  if (!rec) throw new Error(`no lab named ${name}`);
  const dir = labDir(name);
  const t = topology(rec.options, rec.slot);
  const keys = readKeys(dir);
  const stack = await labStack({ labName: name, dir, spec: labClusterSpec(t, keys), pulumiRoot: pulumiRoot() });
  const onEvent = (e: EngineEvent) => {
    const line = describeEvent(e);
    if (line) process.stdout.write(`${line}\n`);
  };
  const t0 = Date.now();
  let result: object;
  try {
    result = await run(stack, op, onEvent);
  } catch (err) {
    throw engineFailure(OP_COMMAND[op], err as Error, err instanceof CommandError);
  }
  writeFileSync(join(dir, `last-${op}.json`), JSON.stringify({ ms: Date.now() - t0, ...result }, null, 2));
  return 0;
}

const OP_COMMAND: Record<EngineOp, string> = {
  up: "pulumi up",
  repair: "pulumi up --refresh",
  preview: "pulumi preview --refresh",
  destroy: "pulumi destroy",
};

async function run(stack: Stack, op: EngineOp, onEvent: (e: EngineEvent) => void): Promise<object> {
  if (op === "up" || op === "repair") {
    // repair: `pulumi up --refresh`, so the update starts from what the hosts hold now, not the last state.
    const r = await stack.up({ onEvent, color: "never", refresh: op === "repair" });
    return {
      changes: r.summary.resourceChanges,
      outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value])),
    };
  }
  if (op === "preview") {
    const r = await stack.preview({
      refresh: true,
      diff: true,
      color: "never",
      onOutput: (s) => process.stdout.write(s),
    });
    return { changes: r.changeSummary };
  }
  const r = await stack.destroy({ onEvent, color: "never" });
  return { changes: r.summary.resourceChanges };
}
