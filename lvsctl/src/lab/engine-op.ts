// `lvsctl lab engine up|repair|preview|destroy --name N`: one engine operation on the lab's stack, run by the
// lab commands inside the control namespace (thin I/O shell). Resource steps are printed as they come;
// preview prints the CLI's own text, as a user sees it. The result (changes per operation) is written to
// <lab>/last-<op>.json for the caller.
import { writeFileSync } from "node:fs";
import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";
import { join } from "node:path";
import { readKeys } from "./access.ts";
import { labStack } from "./engine.ts";
import { describeEvent } from "../cluster/engine-output.ts";
import { runOp } from "../cluster/operations.ts";
import { labDir, readRecord } from "./record.ts";
import { labClusterSpec, topology } from "./topology.ts";

export const ENGINE_OPS = ["up", "repair", "preview", "destroy"] as const;
export type EngineOp = (typeof ENGINE_OPS)[number];

export async function engineOp(name: string, op: EngineOp): Promise<number> {
  const rec = readRecord(name);
  if (!rec) throw new Error(`no lab named ${name}`);
  const dir = labDir(name);
  const t = topology(rec.options, rec.slot);
  const stack = await labStack({ labName: name, dir, spec: labClusterSpec(t, readKeys(dir)) });
  const t0 = Date.now();
  // A lab shows what can be deployed: a host that fails (say --unreachable) stops only what depends on it.
  const output = {
    onEvent: (e: EngineEvent) => {
      const line = describeEvent(e);
      if (line) process.stdout.write(`${line}\n`);
    },
    onOutput: (s: string) => process.stdout.write(s),
    say: (s: string) => process.stdout.write(`${s}\n`),
  };
  const result = await runOp(stack, op, output, { continueOnError: true });
  writeFileSync(join(dir, `last-${op}.json`), JSON.stringify({ ms: Date.now() - t0, ...result }, null, 2));
  return 0;
}
