// keepalived's vrrp_sync_group and vrrp_track_process sections into AgentConfig syncGroups and
// trackProcesses, and the instances' track_process references. Pure.
import type { AgentConfigInput } from "../config/schema.ts";
import type { Token } from "./lexer.ts";
import type { Statement } from "./parser.ts";
import { block, noted, num, put, value, type Cx, type Draft, type Table } from "./cx.ts";

type Input = Required<AgentConfigInput>;
type SyncGroupInput = Input["syncGroups"][string];
type TrackProcessInput = Input["trackProcesses"][string];

export type SyncGroupDraft = Draft<SyncGroupInput> & { at: Token };
export type TrackProcessDraft = Draft<TrackProcessInput> & { at: Token };

const GROUP_HOOK =
  "hooks on a sync group are not supported: give each instance its own notify_master/notify_backup/notify_fault (they change state together)";

export const VRRP_SYNC_GROUP: Table<SyncGroupDraft> = {
  group: block((st, d, cx) => {
    const names = (st.block ?? []).flatMap((item) => [item.keyword, ...item.args]);
    names.forEach((t, i) => cx.locate([...d.path, "instances", i], t, "group"));
    put(
      d,
      "instances",
      names.map((t) => t.text),
      st,
      cx,
    );
  }),
  ...Object.fromEntries(
    ["notify_master", "notify_backup", "notify_fault", "notify_stop", "notify"].map((k) => [
      k,
      value<SyncGroupDraft>((st, _d, cx) => cx.error(st.keyword, `${st.keyword.text}: ${GROUP_HOOK}`)),
    ]),
  ),
  smtp_alert: noted("configures keepalived's email alerts, which lvs-agent does not send; ignored"),
  global_tracking: noted(
    "is obsolete in keepalived 2.x (each instance keeps its own track_* settings, as in lvs-agent); ignored",
  ),
};

/** Sync groups with one member do nothing, as keepalived warns. */
export function checkSyncGroup(d: SyncGroupDraft, name: string, cx: Cx): void {
  const n = d.v.instances?.length ?? 0;
  if (n === 0) return cx.error(d.at, `vrrp_sync_group ${name} needs a group { } naming its instances`);
  if (n === 1)
    cx.note(d.at, `vrrp_sync_group ${name} has one instance: it has nothing to keep in step (keepalived warns too)`);
}

/** `process NAME [ARGS...]`: the name (or full path) and, when given, the arguments that must match. */
function processLine(st: Statement, d: TrackProcessDraft, cx: Cx): void {
  const a = cx.args(st, 1, Infinity);
  if (!a) return;
  put(d, "process", a[0]!.text, st, cx);
  if (a.length > 1)
    put(
      d,
      "args",
      a
        .slice(1)
        .map((t) => t.text)
        .join(" "),
      st,
      cx,
    );
}

export const VRRP_TRACK_PROCESS: Table<TrackProcessDraft> = {
  process: value(processLine),
  param_match: value((st, d, cx) => {
    const m = cx.choice(st, ["initial", "partial"]);
    if (m === "partial")
      return cx.error(st.args[0]!, "param_match partial is not supported: use initial, or give the whole arguments");
    if (m) put(d, "argsPrefix", true, st, cx);
  }),
  quorum: num("quorum", { int: true }),
  quorum_max: num("quorumMax", { int: true }),
  weight: value((st, d, cx) => {
    const a = cx.args(st, 1, 2);
    if (a?.[1]) cx.error(a[1], `weight: '${a[1].text}' is not supported (lvs-agent has no reverse weights)`);
    put(d, "weight", cx.numberAt(a?.[0], "weight"), st, cx);
  }),
  delay: noted(
    "(keepalived's wait before acting on a process starting or ending) is not applied: lvs-agent acts on the next look at /proc, every second",
  ),
  fork_delay: noted("is not applied: lvs-agent acts on the next look at /proc, every second"),
  terminate_delay: noted("is not applied: lvs-agent acts on the next look at /proc, every second"),
  full_command: value((st, _d, cx) =>
    cx.error(st.keyword, "full_command is not supported: name the process and give its arguments after it"),
  ),
};

/** What lvs-agent cannot watch a process without. */
export function checkTrackProcess(d: TrackProcessDraft, name: string, cx: Cx): void {
  if (d.v.process === undefined) cx.error(d.at, `vrrp_track_process ${name} has no process`);
}
