// keepalived.conf (the common subset) into AgentConfig. Supported: global_defs, vrrp_script,
// vrrp_instance and virtual_server with real_server and TCP_CHECK/HTTP_GET/SSL_GET/MISC_CHECK (the
// keyword tables are in convert-vrrp.ts and convert-ipvs.ts). Any other keyword is an error naming it
// and its file:line; a few harmless ones are accepted with a note. The result then goes through the
// agent's own validation, and each of its problems is mapped back to the line the value came from.
// Every problem is reported at once. Pure: files come in as tokens (lexer.ts lexFile).
import type { AgentConfig, AgentConfigInput } from "../config/schema.ts";
import { checkConfig, formatPath, type Problem } from "../config/validate.ts";
import { diagnostic, type Diagnostic, type Source, type Token } from "./lexer.ts";
import { parse, type Statement } from "./parser.ts";
import { block, Cx, type ConvertOptions, type Draft, type Table } from "./cx.ts";
import { redactIncluded } from "./redact.ts";
import {
  finishInstance,
  GLOBAL_DEFS,
  newGlobalDefs,
  newInstance,
  VRRP_INSTANCE,
  VRRP_SCRIPT,
  type GlobalDefs,
  type InstanceDraft,
  type InstanceInput,
} from "./convert-vrrp.ts";
import { finishVirtualServer, readVirtualServer, type VirtualServerDraft } from "./convert-ipvs.ts";
import {
  checkSyncGroup,
  checkTrackProcess,
  VRRP_SYNC_GROUP,
  VRRP_TRACK_PROCESS,
  type SyncGroupDraft,
  type TrackProcessDraft,
} from "./convert-track.ts";
import { readServerGroup, type ServerGroup } from "./convert-vsgroup.ts";
import { staticAddresses } from "./convert-routes.ts";

export type { ConvertOptions } from "./cx.ts";

type Input = Required<AgentConfigInput>;
type ScriptDraft = Draft<Input["scripts"][string]> & { at: Token };

interface Drafts {
  globals: GlobalDefs;
  scripts: Map<string, ScriptDraft>;
  instances: Map<string, InstanceDraft>;
  virtualServers: Map<string, VirtualServerDraft>;
  syncGroups: Map<string, SyncGroupDraft>;
  processes: Map<string, TrackProcessDraft>;
  serverGroups: Map<string, ServerGroup>;
  staticAddresses: Input["staticAddresses"];
}

/** A named section read into a draft at `section.NAME` through `table`. */
function section<T>(
  key: "syncGroups" | "trackProcesses",
  table: Table<Draft<T> & { at: Token }>,
  pick: (d: Drafts) => Map<string, Draft<T> & { at: Token }>,
) {
  return block<Drafts>((st, d, cx) => {
    const seen = pick(d);
    const name = named(st, seen, cx);
    if (name === undefined) return;
    const draft = { at: st.keyword, path: [key, name], v: {} };
    seen.set(name, draft);
    cx.locate(draft.path, st.keyword, `${st.keyword.text} ${name}`);
    cx.walk(st.block ?? [], table, draft, `${st.keyword.text} ${name}`);
  });
}

const TOP: Table<Drafts> = {
  static_ipaddress: block((st, d, cx) => {
    const first = d.staticAddresses.length;
    const list = staticAddresses(st, cx);
    list.forEach((_, i) => cx.locate(["staticAddresses", first + i], st.block![i]!.keyword, "static_ipaddress"));
    d.staticAddresses.push(...list);
  }),
  global_defs: block((st, d, cx) => {
    if (cx.args(st, 0)) cx.walk(st.block ?? [], GLOBAL_DEFS, d.globals, "global_defs");
  }),
  vrrp_script: block((st, d, cx) => {
    const name = named(st, d.scripts, cx);
    if (name === undefined) return;
    const s: ScriptDraft = { at: st.keyword, path: ["scripts", name], v: {} };
    d.scripts.set(name, s);
    cx.locate(s.path, st.keyword, `vrrp_script ${name}`);
    cx.walk(st.block ?? [], VRRP_SCRIPT, s, `vrrp_script ${name}`);
  }),
  vrrp_instance: block((st, d, cx) => {
    const name = named(st, d.instances, cx);
    if (name === undefined) return;
    const inst = newInstance(name, st.keyword);
    d.instances.set(name, inst);
    cx.locate(inst.path, st.keyword, `vrrp_instance ${name}`);
    cx.walk(st.block ?? [], VRRP_INSTANCE, inst, `vrrp_instance ${name}`);
  }),
  vrrp_sync_group: section("syncGroups", VRRP_SYNC_GROUP, (d) => d.syncGroups),
  vrrp_track_process: section("trackProcesses", VRRP_TRACK_PROCESS, (d) => d.processes),
  virtual_server_group: block((st, d, cx) => {
    const name = named(st, d.serverGroups, cx);
    if (name !== undefined) d.serverGroups.set(name, readServerGroup(st, cx));
  }),
  virtual_server: block((st, d, cx) => {
    for (const vs of readVirtualServer(st, cx, d.serverGroups)) {
      const name = String(vs.path[1]);
      const first = d.virtualServers.get(name);
      if (first) {
        cx.error(st.keyword, `virtual_server ${name} is defined twice (first at ${where(first.at)})`);
        continue;
      }
      d.virtualServers.set(name, vs);
    }
  }),
};

/** The one name argument of a named section, not already used. */
function named(st: Statement, seen: Map<string, { at: Token }>, cx: Cx): string | undefined {
  const name = cx.word(st);
  if (name === undefined) return undefined;
  const first = seen.get(name);
  if (first)
    return void cx.error(st.keyword, `${st.keyword.text} ${name} is defined twice (first at ${where(first.at)})`);
  return name;
}

function where(t: { file: string; line: number }): string {
  return `${t.file}:${t.line}`;
}

/** keepalived.conf statements as an AgentConfig input (not yet validated), with diagnostics and origins. */
export function convert(
  statements: readonly Statement[],
  options: ConvertOptions = {},
): { config: AgentConfigInput; cx: Cx } {
  const cx = new Cx(options);
  const d: Drafts = {
    globals: newGlobalDefs(),
    scripts: new Map(),
    instances: new Map(),
    virtualServers: new Map(),
    syncGroups: new Map(),
    processes: new Map(),
    serverGroups: new Map(),
    staticAddresses: [],
  };
  cx.walk(statements, TOP, d, "at the top level");
  d.syncGroups.forEach((g, name) => checkSyncGroup(g, name, cx));
  d.processes.forEach((p, name) => checkTrackProcess(p, name, cx));
  const instances: Record<string, InstanceInput> = {};
  for (const [name, inst] of d.instances) instances[name] = finishInstance(inst, d.globals, cx);
  const config: AgentConfigInput = {
    instances,
    scripts: Object.fromEntries([...d.scripts].map(([n, s]) => [n, s.v as Input["scripts"][string]])),
    virtualServers: Object.fromEntries([...d.virtualServers].map(([n, vs]) => [n, finishVirtualServer(vs, cx)])),
  };
  if (d.syncGroups.size > 0) config.syncGroups = draftsOf(d.syncGroups);
  if (d.processes.size > 0) config.trackProcesses = draftsOf(d.processes);
  if (d.staticAddresses.length > 0) config.staticAddresses = d.staticAddresses;
  if (Object.keys(d.globals.global.v).length > 0) config.global = d.globals.global.v;
  if (rootUsers(config, cx)) config.scriptSecurity = { allowRoot: true };
  if (Object.keys(d.globals.timeouts.v).length > 0) config.ipvsTimeouts = d.globals.timeouts.v;
  const sync = syncDaemon(d, instances, cx);
  if (sync) config.syncDaemon = sync;
  return { config, cx };
}

function draftsOf<T>(m: Map<string, Draft<T>>): Record<string, T> {
  return Object.fromEntries([...m].map(([n, x]) => [n, x.v as T]));
}

/**
 * `script_user root` or a vrrp_script's `user root`, written by name: allowed, as keepalived allows it,
 * with a warning at each line. True when there is one.
 */
function rootUsers(config: AgentConfigInput, cx: Cx): boolean {
  const paths = [
    ...(config.global?.scriptUser === "root" ? [["global", "scriptUser"]] : []),
    ...Object.entries(config.scripts ?? {}).flatMap(([n, s]) => (s.user === "root" ? [["scripts", n, "user"]] : [])),
  ];
  for (const path of paths) {
    const at = cx.origin(path)?.origin;
    if (at)
      cx.note(
        at,
        `${at.what} root: scripts${path[0] === "global" ? " and notify hooks" : ""} will run as root, as keepalived runs them (lvs-agent runs them unprivileged unless root is named); prefer an unprivileged user`,
      );
  }
  return paths.length > 0;
}

/** global lvs_sync_daemon, or the deprecated lvs_sync_daemon_interface inside one instance. */
function syncDaemon(d: Drafts, instances: Record<string, InstanceInput>, cx: Cx): Input["syncDaemon"] | undefined {
  const local = [...d.instances.values()].filter((i) => i.syncInterface);
  const specs = [
    ...(d.globals.sync ? [{ ...d.globals.sync, instance: d.globals.sync.instance! }] : []),
    ...local.map((i) => ({
      interface: i.syncInterface!.name,
      instance: i.name,
      id: undefined,
      at: i.syncInterface!.at,
    })),
  ];
  const [spec, second] = specs;
  if (!spec) return undefined;
  if (second) cx.error(second.at, `a second sync daemon (the first is at ${where(spec.at)}): IPVS runs one`);
  // keepalived: "syncid ... default is the VRID of vrrp instance"
  const syncId = spec.id ?? instances[spec.instance]?.vrid;
  for (const key of ["interface", "followInstance", "syncId"]) cx.locate(["syncDaemon", key], spec.at, spec.at.text);
  return { interface: spec.interface, followInstance: spec.instance, ...(syncId === undefined ? {} : { syncId }) };
}

// ---------------------------------------------------------------------------------------------------

export type KeepalivedResult =
  { ok: true; config: AgentConfig; notes: string[] } | { ok: false; problems: string[]; notes: string[] };

/** Lexed keepalived.conf (includes expanded) to a validated AgentConfig, or every problem with its file:line. */
export function keepalivedToAgentConfig(source: Source, options: ConvertOptions = {}): KeepalivedResult {
  const parsed = parse(source.tokens);
  const { config, cx } = convert(parsed.statements, options);
  const diagnostics = [...source.problems, ...parsed.problems, ...cx.finish()];
  const errors = diagnostics.filter((x) => x.severity === "error");
  const validated = checkConfig(config);
  // A value the converter already rejected comes back from validation as missing or invalid: say it once.
  const errorLines = new Set(errors.map(where));
  const mapped = validated.problems
    .map((p) => locateProblem(p, cx))
    .filter((m) => !(m.at && errorLines.has(where(m.at))));
  const order = byPlace(source.files);
  // An included file's own words stay out of every message (redact.ts); the entry file is read first.
  const safe = <T extends { at?: Diagnostic; text: string }>(xs: T[]) =>
    redactIncluded(xs, source.files[0] ?? "", source.tokens, cx.known);
  const problems = safe([...errors.map((e) => ({ at: e as Diagnostic | undefined, text: format(e) })), ...mapped]).sort(
    order,
  );
  const notes = safe(diagnostics.filter((x) => x.severity === "note").map((n) => ({ at: n, text: format(n) })))
    .sort(order)
    .map((n) => n.text);
  if (problems.length > 0 || !validated.config) return { ok: false, problems: problems.map((s) => s.text), notes };
  return { ok: true, config: validated.config, notes };
}

/** Sorts messages by file (in the order read) and line; those without a place go last. Stable. */
function byPlace(files: readonly string[]): (a: { at?: Diagnostic }, b: { at?: Diagnostic }) => number {
  const rank = (x: { at?: Diagnostic }) =>
    x.at ? (files.indexOf(x.at.file) + 1 || files.length + 1) * 1e9 + x.at.line : Infinity;
  return (a, b) => (rank(a) === rank(b) ? 0 : rank(a) < rank(b) ? -1 : 1);
}

function format(x: Diagnostic): string {
  return `${where(x)}: ${x.message}`;
}

/**
 * `file:line: <keyword>: <message> (lvs-agent <path>)` at the line the value came from, or, for a value
 * the file does not give (a required one missing), `file:line: <section>: <field> <message> (...)` at
 * its section's line.
 */
function locateProblem(p: Problem, cx: Cx): { at?: Diagnostic; text: string } {
  const path = formatPath(p.path);
  const found = cx.origin(p.path);
  if (!found) return { text: `${p.message} (lvs-agent ${path})` };
  const { origin: o, depth } = found;
  const rest = depth < p.path.length ? `${formatPath(p.path.slice(depth)).replace(/^\./, "")} ` : "";
  return {
    at: diagnostic(o, "error", p.message),
    text: `${where(o)}: ${o.what}: ${rest}${p.message} (lvs-agent ${path})`,
  };
}
