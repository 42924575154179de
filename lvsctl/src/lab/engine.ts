// The lab's stack (thin I/O shell): the lab's ClusterSpec through the shared cluster stack, state in a file
// backend in the lab directory, its own PULUMI_HOME and passphrase. It runs inside the lab's control
// namespace, the one place with a route to every lab host.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation/index.js";
import type { ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";
import { clusterStack } from "../cluster/stack.ts";

export const PROJECT = "lvs-lab";

export interface EngineContext {
  labName: string;
  dir: string;
  spec: ClusterSpecInput;
}

export function labStack(ctx: EngineContext): Promise<Stack> {
  for (const d of ["engine", "state", "pulumi-home"]) mkdirSync(join(ctx.dir, d), { recursive: true, mode: 0o700 });
  return clusterStack({
    project: PROJECT,
    stack: ctx.labName,
    clusterName: "lab",
    spec: ctx.spec,
    backendUrl: `file://${join(ctx.dir, "state")}`,
    workDir: join(ctx.dir, "engine"),
    envVars: {
      PULUMI_HOME: join(ctx.dir, "pulumi-home"),
      PULUMI_CONFIG_PASSPHRASE: readFileSync(join(ctx.dir, "passphrase"), "utf8").trim(),
    },
  });
}
