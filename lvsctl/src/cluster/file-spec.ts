// A cluster file's contract (pure): a ClusterSpec, the document `lvs.Cluster` takes, plus `ssh`, the SSH
// defaults for every connection in it (the provider's `lvs:` configuration, the key given as a file).
// Validation collects every problem at once, each with the path and line the user wrote it at, before
// anything touches a host. A secret (the key, a password) is never quoted.
import { z } from "zod";
import { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import { planCluster } from "../../../provider/src/cluster/plan.ts";
import { checkPlanned } from "../../../provider/src/cluster/check.ts";
import { applyConfigDefaults, ProviderConfig } from "../../../provider/src/inputs/provider-config.ts";
import { errorMap, isObject, unknownKeyHint } from "../../../provider/src/inputs/common.ts";
import type { Path, Position } from "./source.ts";

export const SshDefaults = ProviderConfig.omit({ privateKey: true, password: true }).extend({
  /** the SSH private key, as a file (relative to the cluster file; ~ is the home directory) */
  privateKeyFile: z.string().min(1).optional(),
});
export type SshDefaults = z.infer<typeof SshDefaults>;

/** Where a cluster's connections are: each takes the `ssh` defaults for what it leaves out. */
const CONNECTION_PATHS = ["directors.*.connection", "realServers.*.connection"] as const;

export interface FileProblem extends Position {
  /** "directors[0].connection.hostKey" */
  path: string;
  message: string;
}

export type FileSpecResult = { ok: true; spec: ClusterSpec } | { ok: false; problems: FileProblem[] };

/** How to fix what users most often get wrong in a cluster file, by the field's last name. */
const FIXES: Record<string, string> = {
  hostKey: 'pin it under ssh.hostKeys ("10.0.0.2": "SHA256:...", from ssh-keyscan HOST | ssh-keygen -lf -)',
  privateKey: "set ssh.privateKeyFile (or the connection's own privateKey)",
};

export function pathText(path: Path): string {
  return path.reduce<string>(
    (s, seg) => (typeof seg === "number" ? `${s}[${seg}]` : s ? `${s}.${seg}` : String(seg)),
    "",
  );
}

/** "vips[0].priorities.lb3: ..." (a planner problem) -> its path and message. */
function splitPlanProblem(problem: string): { path: Path; message: string } {
  const m = /^([\w.[\]-]+): (.*)$/s.exec(problem);
  if (!m) return { path: [], message: problem };
  const path = m[1]!.split(/\.|(?=\[)/).map((seg) => (seg.startsWith("[") ? Number(seg.slice(1, -1)) : seg));
  return { path, message: m[2]! };
}

function zodProblems(schema: z.ZodType, error: z.ZodError, prefix: Path): { path: Path; message: string }[] {
  return error.issues.flatMap((i) => {
    const at = [...prefix, ...(i.path as (string | number)[])];
    if (i.code === "unrecognized_keys")
      return i.keys.map((k) => ({
        path: [...at, k],
        message: `unknown field "${k}" ${unknownKeyHint(schema, i.path, k)}`,
      }));
    const fix = FIXES[String(at.at(-1))];
    return [{ path: at, message: fix && i.code === "custom" ? `${i.message}: ${fix}` : i.message }];
  });
}

/** A pin of the right form, standing in for a bad one already reported, so hosts are not blamed for it. */
const STAND_IN_PIN = `SHA256:${"A".repeat(43)}`;

/** The `ssh` section's sound fields (its problems go to found), so one bad field does not fail every host. */
function sshDefaults(raw: unknown, found: { path: Path; message: string }[]): SshDefaults {
  const first = SshDefaults.safeParse(raw ?? {}, { error: errorMap });
  if (first.success) return first.data;
  found.push(...zodProblems(SshDefaults, first.error, ["ssh"]));
  if (!isObject(raw)) return {};
  const repaired: Record<string, unknown> = { ...raw };
  for (const i of first.error.issues) {
    const [field, host] = i.path.map(String);
    if (field === "hostKeys" && host !== undefined && isObject(repaired.hostKeys))
      repaired.hostKeys = { ...repaired.hostKeys, [host]: STAND_IN_PIN };
    else if (field !== undefined) delete repaired[field];
    else if (i.code === "unrecognized_keys") for (const k of i.keys) delete repaired[k];
  }
  const rest = SshDefaults.safeParse(repaired);
  return rest.success ? rest.data : {};
}

/**
 * The file's value -> the ClusterSpec it means, with `ssh` applied to every connection. readKey reads
 * ssh.privateKeyFile (the I/O shell's part): a string, or why it could not.
 */
export function fileSpec(
  value: unknown,
  positionOf: (p: Path) => Position,
  readKey: (file: string) => { text: string } | { problem: string },
): FileSpecResult {
  const found: { path: Path; message: string }[] = [];
  if (!isObject(value)) return { ok: false, problems: [{ path: "", ...positionOf([]), message: "must be a map" }] };
  const { ssh: rawSsh, ...rest } = value;
  const ssh = sshDefaults(rawSsh, found);
  let privateKey: string | undefined;
  if (ssh.privateKeyFile) {
    const key = readKey(ssh.privateKeyFile);
    if ("problem" in key) found.push({ path: ["ssh", "privateKeyFile"], message: key.problem });
    // An unreadable key is one problem, not one per connection: a stand-in lets the rest be judged (the
    // file is refused all the same, so it never reaches a host).
    privateKey = "problem" in key ? "unreadable key file" : key.text;
  }
  const { privateKeyFile: _f, ...defaults } = ssh;
  const merged = applyConfigDefaults(rest, CONNECTION_PATHS, { ...defaults, privateKey });
  const spec = ClusterSpec.safeParse(merged, { error: errorMap });
  if (!spec.success) found.push(...zodProblems(ClusterSpec, spec.error, []));
  else {
    const plan = planCluster(spec.data);
    if (!plan.ok) found.push(...plan.problems.map(splitPlanProblem));
    else found.push(...checkPlanned(spec.data, plan.plan));
  }
  if (found.length === 0 && spec.success) return { ok: true, spec: spec.data };
  return {
    ok: false,
    problems: found
      .map((p) => ({ path: pathText(p.path), ...positionOf(p.path), message: p.message }))
      .sort((a, b) => a.line - b.line || a.col - b.col),
  };
}

/** "cluster.yaml:12:7: directors[0].connection.hostKey: <why and how to fix>", one per line. */
export function formatProblems(file: string, problems: readonly FileProblem[]): string {
  return problems.map((p) => `${file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n");
}
