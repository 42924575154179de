// A cluster's stack on the real Pulumi engine (thin I/O shell over the Automation API): a ClusterSpec as
// an inline `lvs.Cluster` program, state in the backend asked for, the provider from this checkout
// (bin/pulumi-resource-lvs). The lab and `lvsctl up -f cluster.yaml` both deploy through it.
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, type ProjectSettings, type Stack } from "@pulumi/pulumi/automation/index.js";
import { Cluster, type ClusterArgs } from "../../../sdk/cluster.ts";
import type { ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";
import { specWithoutCredentials } from "./credentials.ts";

export const REPO = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");

const INSTALL_PULUMI = join(REPO, "scripts/install-pulumi.sh");
/** From a checkout: the provider as built here, not an installed plugin. */
const CHECKOUT_PLUGIN = join(REPO, "bin");

/**
 * Where the Pulumi CLI built by scripts/install-pulumi.sh is (its bin/), or an error saying how to build
 * it; outside a checkout (the SDK installed from npm), undefined: the pulumi on PATH.
 */
export function pulumiRoot(): string | undefined {
  if (!existsSync(INSTALL_PULUMI)) return undefined;
  const r = spawnSync(INSTALL_PULUMI, ["--print"], { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error("the Pulumi CLI is not built: run scripts/install-pulumi.sh (or bash scripts/setup.sh)");
  return r.stdout.trim();
}

type Secretive = { connection?: { privateKey?: unknown; password?: unknown } };

/** A connection's key and password as Pulumi secrets: the engine encrypts them in state and masks them. */
function withSecretCredentials<T extends Secretive>(x: T): T {
  const c = x.connection;
  if (!c) return x;
  const secret = (v: unknown) => (typeof v === "string" ? pulumi.secret(v) : v);
  return { ...x, connection: { ...c, privateKey: secret(c.privateKey), password: secret(c.password) } };
}

export function withSecretKeys(spec: ClusterSpecInput): ClusterArgs {
  return {
    ...spec,
    directors: spec.directors.map(withSecretCredentials),
    realServers: spec.realServers?.map(withSecretCredentials),
  } as ClusterArgs;
}

export interface StackSettings {
  project: string;
  stack: string;
  /** the lvs.Cluster component's name (its children are named <name>-<part>) */
  clusterName: string;
  spec: ClusterSpecInput;
  /** a Pulumi backend URL: file://..., s3://..., https://api.pulumi.com */
  backendUrl: string;
  /** the workspace: Pulumi.yaml and the stack's settings (the passphrase's salt) live here */
  workDir: string;
  envVars: Record<string, string>;
  /**
   * keep the spec (without SSH credentials, as a secret output) in the stack: what a rollout rolls back
   * to when a later deployment fails its gates
   */
  keepSpec?: boolean;
}

/** The stack output that holds the deployed spec (keepSpec). */
export const SPEC_OUTPUT = "deployedSpec";

export async function clusterStack(s: StackSettings): Promise<Stack> {
  const pulumiCommand = await PulumiCommand.get({ root: pulumiRoot() });
  const checkout = existsSync(join(CHECKOUT_PLUGIN, "pulumi-resource-lvs"));
  mkdirSync(s.workDir, { recursive: true, mode: 0o700 });
  const program = async () => {
    new Cluster(s.clusterName, withSecretKeys(s.spec));
    return s.keepSpec ? { [SPEC_OUTPUT]: pulumi.secret(specWithoutCredentials(s.spec)) } : {};
  };
  return LocalWorkspace.createOrSelectStack(
    { projectName: s.project, stackName: s.stack, program },
    {
      pulumiCommand,
      workDir: s.workDir,
      // `plugins` is part of Pulumi.yaml, though not of the SDK's ProjectSettings type: from a checkout the
      // engine runs the provider built here instead of looking for an installed plugin.
      projectSettings: {
        name: s.project,
        runtime: "nodejs",
        backend: { url: s.backendUrl },
        ...(checkout ? { plugins: { providers: [{ name: "lvs", path: CHECKOUT_PLUGIN }] } } : {}),
      } as ProjectSettings,
      envVars: { PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", ...s.envVars },
    },
  );
}
