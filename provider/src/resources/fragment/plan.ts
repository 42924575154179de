// The fragment engine as data (pure): where each director's fragment goes, which files an operation
// changes on which host, how the agent's CLI is called, whether a file already holds what is wanted,
// and how a failed operation reads. The I/O is in fragment.ts.
import { posix } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { AgentStatus } from "../../../../agent/src/status/format.ts";
import { shQuote } from "../../host/commands.ts";
import { hostLabel } from "../../host/connection.ts";
import { isObject, type ConnectionT, type Obj } from "../../inputs/common.ts";
import { fragmentText, type HostFragment } from "./files.ts";

/** How the provider reaches one director's agent (inputs/common.ts agentAccess). */
export interface AgentAccess {
  configDir: string;
  agentCommand: string;
  statusSocket: string;
}

/** Where one director holds a resource's fragment, and how its agent is reached. */
export interface Location {
  conn: ConnectionT;
  agent: AgentAccess;
  path: string;
}

/** A fragment on one director: where, and the file's bytes. */
export interface Placement extends Location {
  text: string;
}

/** The lock operations on a director's config directory take turns on: beside it, not in it. */
export function configLock(agent: Pick<AgentAccess, "configDir">): string {
  const dir = agent.configDir.replace(/\/+$/, "");
  return posix.join(posix.dirname(dir), `.${posix.basename(dir)}.lvs-provider.lock`);
}

/** `file` (a planner's fragment path; only its base name counts) in this director's configDir. */
export function locate(conn: ConnectionT, agent: AgentAccess, file: string): Location {
  return {
    conn,
    agent: { configDir: agent.configDir, agentCommand: agent.agentCommand, statusSocket: agent.statusSocket },
    path: posix.join(agent.configDir, posix.basename(file)),
  };
}

/** The planner's fragment (named for the default conf.d) placed in this director's configDir. */
export function place(f: HostFragment, agent: AgentAccess): Placement {
  return { ...locate(f.connection, agent, f.path), text: fragmentText(f) };
}

/** A fragment's content as the file would hold it, for comparing with what a file holds. */
export function normalized(f: Pick<HostFragment, "config">): Obj {
  return JSON.parse(fragmentText(f)) as Obj;
}

/** One director's part of an operation: each file made to hold `text`, or removed (undefined). */
export interface HostChange {
  conn: ConnectionT;
  agent: AgentAccess;
  files: Array<{ path: string; text: string | undefined }>;
  /** reload the agent even if no file changes: what it applied differs from its files (a hand edit) */
  reapply?: boolean;
}

/** The same machine, however it is logged in to: host and port, and the jump it is reached through. */
export function hostKey(c: ConnectionT): string {
  return c.jumpHost ? `${hostLabel(c)} via ${hostLabel(c.jumpHost)}` : hostLabel(c);
}

/**
 * Per host, the files an operation sets: every placement of `after`, and each placement of `before`
 * that `after` no longer has there (a director left the resource, or its configDir moved) removed.
 * A host in both is reached and its agent called as `after` says.
 */
export function changesFor(before: readonly Location[], after: readonly Placement[]): HostChange[] {
  const byHost = new Map<string, HostChange>();
  const entry = (p: Location): HostChange => {
    const key = hostKey(p.conn);
    let c = byHost.get(key);
    if (!c) byHost.set(key, (c = { conn: p.conn, agent: p.agent, files: [] }));
    return c;
  };
  for (const p of after) entry(p).files.push({ path: p.path, text: p.text });
  for (const p of before) {
    const c = entry(p);
    if (!c.files.some((f) => f.path === p.path)) c.files.push({ path: p.path, text: undefined });
  }
  return [...byHost.values()];
}

/** The JSON object a fragment's text holds, or undefined (absent, not JSON, not an object). */
export function parseFragment(text: string | undefined): Obj | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the file already holds what is wanted: both absent, or the same JSON (layout and key order aside). */
export function sameFragment(actual: string | undefined, wanted: string | undefined): boolean {
  if (actual === undefined || wanted === undefined) return actual === wanted;
  const a = parseFragment(actual);
  return a !== undefined && isDeepStrictEqual(a, parseFragment(wanted));
}

/** The agent's CLI with a command: `<agentCommand> reload --socket S` or `status --json --socket S`. */
export function agentCommandLine(agent: AgentAccess, cmd: "reload" | "status"): string {
  const words = [
    ...agent.agentCommand.split(" "),
    cmd,
    ...(cmd === "status" ? ["--json"] : []),
    "--socket",
    agent.statusSocket,
  ];
  return words.map(shQuote).join(" ");
}

/** Why an agent command failed, in the agent's own words: its lines joined, a heading ("...:") to what follows. */
export function agentFailure(r: { code: number; stdout: string; stderr: string }): string {
  const lines = `${r.stderr}\n${r.stdout}`
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const said = lines.reduce((acc, l) => (acc === "" ? l : `${acc}${acc.endsWith(":") ? " " : "; "}${l}`), "");
  return `${said || "no output"} (exit ${r.code})`;
}

/** `lvs-agent status --json` output, or a reason it is not one. */
export function parseStatus(stdout: string): AgentStatus | string {
  try {
    const s: unknown = JSON.parse(stdout);
    if (isObject(s) && Array.isArray(s.instances)) return s as unknown as AgentStatus;
  } catch {
    /* reported below */
  }
  return `lvs-agent status printed no status: ${JSON.stringify(stdout.slice(0, 120))}`;
}

/** The input fields of a state (outputs carry the inputs beside computed values). */
export function inputsOf(keys: readonly string[], props: Obj): Obj {
  return Object.fromEntries(Object.entries(props).filter(([k]) => keys.includes(k)));
}

/** A fragment as found on its director, and its agent's status (or why there is none). */
export interface Reading {
  text: string | undefined;
  status: AgentStatus | string;
}

/** What a fragment resource is, for the shared handler (fragment.ts). */
export interface FragmentResource<T> {
  /** for logs and messages: "vip", "virtual server" */
  kind: string;
  /** checked inputs, typed */
  parse(inputs: Obj): T;
  id(v: T): string;
  placements(v: T): Placement[];
  /**
   * Where a state's fragments are, from its name and directors only: a state that Read found drifted
   * may hold values the schema would refuse, but still says where its fragments are.
   */
  locations(state: Obj): Location[];
  inputKeys: readonly string[];
  /** the outputs computed from (possibly drifted) inputs */
  outputs(inputs: Obj): Obj;
  /** the inputs as the directors' fragments (parsed, in the order of locations) and agents say */
  asFound(declared: Obj, configs: Array<Obj | undefined>, statuses: Array<AgentStatus | string>): Obj;
  /** hosts whose agent, by a state's live outputs, runs something other than its files say */
  unsettled?(state: Obj): string[];
  /** live outputs from each director's agent */
  live(name: string, locations: Location[], statuses: Array<AgentStatus | string>): Obj;
}

/**
 * Read's answer: the inputs as found (so the engine's diff shows each hand edit), and as props with
 * the computed and live outputs; undefined (gone) when no director has the fragment.
 */
export function readAnswer<T>(
  r: FragmentResource<T>,
  state: Obj,
  readings: Reading[],
): { props: Obj; inputs: Obj } | undefined {
  if (readings.every((x) => x.text === undefined)) return undefined;
  const declared = inputsOf(r.inputKeys, state);
  const found = r.asFound(
    declared,
    readings.map((x) => parseFragment(x.text)),
    readings.map((x) => x.status),
  );
  const live = r.live(
    String(declared.name),
    r.locations(state),
    readings.map((x) => x.status),
  );
  return { inputs: found, props: { ...found, ...r.outputs(found), ...live } };
}

/** What one host did when an operation failed elsewhere or here. */
export interface RollbackNote {
  host: string;
  /** undefined: nothing was changed there; "": its files restored (and its agent reloaded, if it had applied them); else why restoring failed */
  restore?: string;
}

/** The error of a failed operation: each host's failure, then what was put back. */
export function failureMessage(failures: readonly string[], notes: readonly RollbackNote[]): string {
  const restored = notes.filter((n) => n.restore === "").map((n) => n.host);
  const broken = notes.filter((n) => n.restore !== undefined && n.restore !== "");
  const tail = [
    ...(restored.length > 0 ? [`the previous fragments were restored on ${restored.join(", ")}`] : []),
    ...broken.map((n) => `could not restore ${n.host}: ${n.restore} (run the operation again to converge)`),
  ];
  if (tail.length === 0) tail.push("nothing was changed");
  return [...failures, ...tail].join("\n");
}
