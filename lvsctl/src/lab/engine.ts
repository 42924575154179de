// The lab's deployment through the real Pulumi engine (thin I/O shell over the Automation API): the
// lab's ClusterSpec as an inline `lvs.Cluster` program, state in a file backend in the lab directory,
// the provider from this checkout (bin/pulumi-resource-lvs). It runs inside the lab's control
// namespace, the one place with a route to every lab host. Resource events are printed as they come.
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, type EngineEvent, type ProjectSettings, type Stack } from "@pulumi/pulumi/automation/index.js";
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
    x.connection?.privateKey ? { ...x, connection: { ...x.connection, privateKey: pulumi.secret(x.connection.privateKey) } } : x;
  return { ...spec, directors: spec.directors.map(secretKey), realServers: spec.realServers?.map(secretKey) } as ClusterArgs;
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

const started = new Map<string, number>();

/** One line per resource step as the engine reports it, with its time; provider logs (warnings and up). */
export function describeEvent(e: EngineEvent, now = Date.now()): string | undefined {
  const name = (urn: string) => urn.split("::").slice(-1)[0];
  const type = (urn: string) => urn.split("::").slice(-2)[0]?.split("$").at(-1);
  if (e.resourcePreEvent) {
    const m = e.resourcePreEvent.metadata;
    if (m.op === "same" || type(m.urn)?.startsWith("pulumi:")) return undefined;
    started.set(m.urn, now);
    return `  ${m.op.padEnd(8)} ${type(m.urn)} ${name(m.urn)}`;
  }
  if (e.resOutputsEvent) {
    const m = e.resOutputsEvent.metadata;
    const t0 = started.get(m.urn);
    if (m.op === "same" || t0 === undefined) return undefined;
    return `  done     ${type(m.urn)} ${name(m.urn)} (${((now - t0) / 1000).toFixed(1)} s)`;
  }
  if (e.resOpFailedEvent) return `  FAILED   ${type(e.resOpFailedEvent.metadata.urn)} ${name(e.resOpFailedEvent.metadata.urn)}`;
  // The SDK logs every RPC at debug severity, secrets unwrapped: such events are never printed.
  if (e.diagnosticEvent && !e.diagnosticEvent.ephemeral && (e.diagnosticEvent.severity as string) !== "debug") {
    const d = e.diagnosticEvent;
    const who = d.urn ? `${name(d.urn)}: ` : "";
    return `  ${d.severity.padEnd(8)} ${who}${d.message.trim()}`;
  }
  return undefined;
}
