// `lvsctl up|preview|refresh|destroy|status -f cluster.yaml` (thin I/O shell): the cluster file is read
// and every problem in it listed, with its line, before any host is touched; then one operation of the
// real Pulumi engine on the file's stack, or each director's agent asked for its state.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import { describeEvent } from "./engine-output.ts";
import { fileSpec, formatProblems } from "./file-spec.ts";
import { readDirectors } from "./observe.ts";
import { changed, OP_COMMAND, runOp, type Op } from "./operations.ts";
import type { OpReport } from "./report.ts";

export { summaryLine, type OpReport } from "./report.ts";
import { parseYamlSource } from "./source.ts";
import { clusterStack } from "./stack.ts";
import type { Stack } from "@pulumi/pulumi/automation/index.js";
import { clusterView, type ClusterView } from "./status-view.ts";
import { stackNameProblem, workspaceFor } from "./workspace.ts";

/** A cluster file that cannot be deployed as written: the message lists every problem. */
export class ClusterFileError extends Error {}

export interface ClusterOptions {
  file: string;
  stack?: string;
  backend?: string;
}

export type Say = (line: string) => void;

/** ssh.privateKeyFile, relative to the cluster file; "~/" is the home directory. */
function keyReader(file: string) {
  return (path: string) => {
    const full = path.startsWith("~/") ? join(homedir(), path.slice(2)) : resolve(dirname(file), path);
    try {
      return { text: readFileSync(full, "utf8") };
    } catch (err) {
      return { problem: `cannot read ${full}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    }
  };
}

/** A cluster file read and validated: its ClusterSpec and the text's value (for its `ssh` section). */
export interface LoadedFile {
  spec: ClusterSpec;
  value: Record<string, unknown>;
}

function fail(file: string, problems: { line: number; col: number; message: string; path?: string }[]): never {
  const all = problems.map((p) => ({ path: "", ...p }));
  throw new ClusterFileError(`${file}: ${all.length} problem(s), nothing was touched:\n${formatProblems(file, all)}`);
}

/** A file's text, or a ClusterFileError naming the file and why it cannot be read. */
export function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new ClusterFileError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The file's ClusterSpec, or a ClusterFileError listing every problem with its line. Nothing is touched. */
export function loadClusterFile(file: string): LoadedFile {
  const src = parseYamlSource(readText(file));
  if (!src.ok) fail(file, src.problems);
  const r = fileSpec(src.source.value, src.source.positionOf, keyReader(file));
  if (!r.ok) fail(file, r.problems);
  return { spec: r.spec, value: src.source.value as Record<string, unknown> };
}

/**
 * A spec a stack kept (without credentials) made whole again with the cluster file's `ssh` section, as
 * if it were written in that file: what a rollback deploys.
 */
export function specWithFileSsh(kept: unknown, file: LoadedFile, name: string): ClusterSpec {
  const value = { ...(kept as Record<string, unknown>), ssh: file.value.ssh };
  const r = fileSpec(value, () => ({ line: 0, col: 0 }), keyReader(name));
  if (!r.ok) throw new ClusterFileError(`the spec kept in the stack no longer validates: ${r.problems[0]!.message}`);
  return r.spec;
}

/** A cluster file's stack, ready for operations. */
export interface OpenCluster {
  file: LoadedFile;
  stack: Stack;
  stackName: string;
  backendUrl: string;
}

/** The file's stack (the spec given, or the file's own); the workspace notes are said once. */
export async function openCluster(o: ClusterOptions, say: Say, spec?: ClusterSpec): Promise<OpenCluster> {
  const file = loadClusterFile(o.file);
  const stackProblem = o.stack === undefined ? undefined : stackNameProblem(o.stack);
  if (stackProblem) throw new ClusterFileError(stackProblem);
  const ws = workspaceFor(o.file, o);
  for (const n of ws.notes) say(n);
  const stack = await clusterStack({
    project: "lvs-cluster",
    stack: ws.stack,
    clusterName: "cluster",
    spec: spec ?? file.spec,
    backendUrl: ws.backendUrl,
    workDir: ws.workDir,
    envVars: ws.envVars,
    keepSpec: true,
  });
  return { file, stack, stackName: ws.stack, backendUrl: ws.backendUrl };
}

/** One engine operation on an open stack; steps are said as they happen, the CLI's text to cliText. */
export async function runOnStack(c: OpenCluster, op: Op, say: Say, cliText: Say): Promise<OpReport> {
  const t0 = Date.now();
  const result = await runOp(c.stack, op, {
    onEvent: (e) => {
      const line = describeEvent(e);
      if (line) say(line);
    },
    onOutput: cliText,
    say,
  });
  return { op, stack: c.stackName, ...result, changed: changed(result.changes), ms: Date.now() - t0 };
}

/** One engine operation on the file's stack. */
export async function clusterOp(o: ClusterOptions, op: Op, say: Say, cliText: Say): Promise<OpReport> {
  const c = await openCluster(o, say);
  say(`$ ${OP_COMMAND[op]} (stack ${c.stackName}, ${c.backendUrl})`);
  return runOnStack(c, op, say, cliText);
}

/** Each director's agent, asked over SSH. */
export async function clusterStatus(o: ClusterOptions): Promise<ClusterView> {
  const { spec } = loadClusterFile(o.file);
  return clusterView(spec, await readDirectors(spec));
}
