// The lab's deployment through the real Pulumi engine (thin I/O shell over the Automation API): the
// lab's ClusterSpec as an inline `lvs.Cluster` program, state in a file backend in the lab directory,
// the provider from this checkout (bin/pulumi-resource-lvs). It runs inside the lab's control
// namespace, the one place with a route to every lab host. Resource events are printed as they come.
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, type ProjectSettings, type Stack } from "@pulumi/pulumi/automation/index.js";
import { Cluster, type ClusterArgs } from "../../../sdk/cluster.ts";
import type { ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";

export const REPO = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
export const PROJECT = "lvs-lab";

export interface EngineContext {
  labName: string;
  dir: string;
  spec: ClusterSpecInput;
  /** the directory whose bin/ holds pulumi (scripts/install-pulumi.sh --print) */
  pulumiRoot: string;
}

/** The spec with every private key marked secret, so the engine encrypts it in state and masks it. */
function withSecretKeys(spec: ClusterSpecInput): ClusterArgs {
  const secretKey = <T extends { connection?: { privateKey?: string } }>(x: T) =>
    x.connection?.privateKey
      ? { ...x, connection: { ...x.connection, privateKey: pulumi.secret(x.connection.privateKey) } }
      : x;
  return {
    ...spec,
    directors: spec.directors.map(secretKey),
    realServers: spec.realServers?.map(secretKey),
  } as ClusterArgs;
}

export async function labStack(ctx: EngineContext): Promise<Stack> {
  const pulumiCommand = await PulumiCommand.get({ root: ctx.pulumiRoot });
  for (const d of ["engine", "state", "pulumi-home"]) mkdirSync(join(ctx.dir, d), { recursive: true, mode: 0o700 });
  const program = async () => {
    new Cluster("lab", withSecretKeys(ctx.spec));
  };
  return LocalWorkspace.createOrSelectStack(
    { projectName: PROJECT, stackName: ctx.labName, program },
    {
      pulumiCommand,
      workDir: join(ctx.dir, "engine"),
      // `plugins` is part of Pulumi.yaml, though not of the SDK's ProjectSettings type: the engine runs
      // the provider from this checkout instead of looking for an installed plugin.
      projectSettings: {
        name: PROJECT,
        runtime: "nodejs",
        backend: { url: `file://${join(ctx.dir, "state")}` },
        plugins: { providers: [{ name: "lvs", path: join(REPO, "bin") }] },
      } as ProjectSettings,
      envVars: {
        PULUMI_HOME: join(ctx.dir, "pulumi-home"),
        PULUMI_CONFIG_PASSPHRASE: readFileSync(join(ctx.dir, "passphrase"), "utf8").trim(),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      },
    },
  );
}
