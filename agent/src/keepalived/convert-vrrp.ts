// keepalived's VRRP sections into AgentConfig: global_defs, vrrp_script and vrrp_instance. keepalived's
// defaults are written out where they differ from lvs-agent's (VRRP version 2). Pure.
import type { AgentConfigInput } from "../config/schema.ts";
import type { Token } from "./lexer.ts";
import type { Statement } from "./parser.ts";
import { block, layered, noted, num, put, str, value, type Cx, type Draft, type Table } from "./cx.ts";
import { strictProblems, virtualRoutes } from "./convert-routes.ts";
import { finishVmac, VMAC_KEYWORDS, type VmacDraft } from "./convert-vmac.ts";

type Input = Required<AgentConfigInput>;
export type InstanceInput = Input["instances"][string];
type GarpInput = NonNullable<InstanceInput["garp"]>;
type ScriptInput = Input["scripts"][string];
type GlobalInput = Input["global"];
type TimeoutsInput = NonNullable<Input["ipvsTimeouts"]>;

/** What global_defs sets for the whole file. */
export interface GlobalDefs {
  global: Draft<GlobalInput>;
  /** vrrp_version: the default version of every instance */
  version?: { value: number; at: Token };
  /** vrrp_garp_*: defaults of every instance's garp settings */
  garp: Draft<GarpInput>;
  timeouts: Draft<TimeoutsInput>;
  sync?: SyncSpec;
  /** vrrp_strict: every instance in strict mode */
  strict?: Token;
}

export interface SyncSpec {
  interface: string;
  instance?: string;
  id?: number;
  at: Token;
}

export interface InstanceDraft extends Draft<InstanceInput> {
  name: string;
  at: Token;
  garp: Draft<GarpInput>;
  /** lvs_sync_daemon_interface inside the instance (deprecated in keepalived 2.x) */
  syncInterface?: { name: string; at: Token };
  /** `state MASTER`, which strict mode allows only to the address owner */
  stateMaster?: Token;
  /** use_vmac / vmac_xmit_base (convert-vmac.ts) */
  vmac?: VmacDraft;
}

/** Where global_defs' garp defaults are located until layered into each instance. */
const GLOBAL_GARP = "~vrrp_garp";

export function newGlobalDefs(): GlobalDefs {
  return {
    global: { path: ["global"], v: {} },
    garp: { path: [GLOBAL_GARP], v: {} },
    timeouts: { path: ["ipvsTimeouts"], v: {} },
  };
}

export function newInstance(name: string, at: Token): InstanceDraft {
  const path = ["instances", name];
  return { name, at, path, v: {}, garp: { path: [...path, "garp"], v: {} } };
}

// --- global_defs ---------------------------------------------------------------------------------

const EMAIL =
  "configures keepalived's email alerts, which lvs-agent does not send (use notify hooks or the metrics); ignored";

const garpTable = <D extends { garp: Draft<GarpInput> }>(prefix: string): Table<D> => {
  const on = (e: ReturnType<typeof num<GarpInput>>) => value<D>((st, d, cx) => e.run(st, d.garp, cx));
  return {
    [`${prefix}garp_master_delay`]: on(num("repeatDelay")),
    [`${prefix}garp_master_repeat`]: on(num("count", { int: true })),
    [`${prefix}garp_master_refresh`]: on(num("refresh")),
  };
};

/** Keywords keepalived 2.2.7 no longer knows: it says "Unknown keyword" and goes on without them. */
export const OBSOLETE = (what: string) =>
  `(${what}) is unknown to keepalived 2.2.7, which ignores it; lvs-agent ignores it too: remove the line`;

const STRICT =
  "vrrp_strict: lvs-agent refuses what strict mode forbids and drops adverts whose address list differs (RFC 3768 7.1); keepalived also sets no_accept and adds firewall rules that drop traffic to the VIPs of a master that is not their owner: lvs-agent adds no firewall rules (its VIPs answer as with accept)";

export const GLOBAL_DEFS: Table<GlobalDefs> = {
  router_id: value((st, d, cx) => put(d.global, "routerId", cx.word(st), st, cx)),
  script_user: value((st, d, cx) => {
    const a = cx.args(st, 1, 2);
    if (a?.[1])
      cx.note(
        a[1],
        `script_user: the group '${a[1].text}' is not applied: scripts and hooks run with the user's own group`,
      );
    put(d.global, "scriptUser", a?.[0]!.text, st, cx);
  }),
  vrrp_version: value((st, d, cx) => {
    const n = cx.int(st);
    if (n !== undefined) d.version = { value: n, at: st.keyword };
  }),
  ...garpTable<GlobalDefs>("vrrp_"),
  vrrp_garp_interval: value((st, d, cx) => num<GarpInput>("intervalMs", { scale: 1000 }).run(st, d.garp, cx)),
  vrrp_min_garp: value((st, d, cx) => {
    if (!cx.flag(st)) return;
    put(d.garp, "count", 1, st, cx);
    put(d.garp, "repeatDelay", 0, st, cx);
  }),
  vrrp_strict: value((st, d, cx) => {
    if (!cx.args(st, 0)) return;
    d.strict = st.keyword;
    cx.note(st.keyword, STRICT);
  }),
  enable_script_security: noted(
    "is accepted: lvs-agent always refuses a script that a non-root user could change, as keepalived's script security does",
  ),
  lvs_sync_daemon: value(syncDaemon),
  lvs_timeouts: value(lvsTimeouts),
  vrrp_skip_check_adv_addr: noted(
    "only makes keepalived skip re-checking adverts from the same master; lvs-agent checks every advert; ignored",
  ),
  vrrp_gna_interval: noted("applies to IPv6 neighbour advertisements; lvs-agent's VIPs are IPv4; ignored"),
  lvs_id: noted(OBSOLETE("keepalived 1.x's name for router_id in email alerts")),
  nat_mask: noted(OBSOLETE("a keepalived 1.x LVS setting")),
  garp_master_delay: noted(
    "is not a global_defs keyword: keepalived 2.2.7 ignores it here (an unknown keyword) and so does lvs-agent; write vrrp_garp_master_delay to set it for every instance",
  ),
  notification_email: noted(EMAIL, "block"),
  ...Object.fromEntries(
    [
      "notification_email_from",
      "smtp_server",
      "smtp_helo_name",
      "smtp_connect_timeout",
      "smtp_alert",
      "smtp_alert_vrrp",
      "smtp_alert_checker",
      "no_email_faults",
    ].map((k) => [k, noted<GlobalDefs>(EMAIL)]),
  ),
};

/** lvs_sync_daemon <INTERFACE> [[inst] <VRRP_INSTANCE>] [id <SYNC_ID>] */
function syncDaemon(st: Statement, d: GlobalDefs, cx: Cx): void {
  const a = cx.args(st, 1, Infinity);
  if (!a) return;
  const spec: SyncSpec = { interface: a[0]!.text, at: st.keyword };
  for (let i = 1; i < a.length; i++) {
    const t = a[i]!;
    if (t.text === "id") spec.id = cx.numberAt(a[++i] ?? t, "id");
    else if (t.text === "inst") spec.instance = a[++i]?.text;
    else if (i === 1) spec.instance = t.text;
    else
      return cx.error(
        t,
        `lvs_sync_daemon: '${t.text}' is not supported (supported: INTERFACE [inst] VRRP_INSTANCE [id SYNC_ID])`,
      );
  }
  if (!spec.instance)
    return cx.error(
      st.keyword,
      "lvs_sync_daemon needs the VRRP instance whose state it follows (lvs-agent does not run both sync daemons at once)",
    );
  d.sync = spec;
}

/** lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS] */
function lvsTimeouts(st: Statement, d: GlobalDefs, cx: Cx): void {
  const keys: Record<string, keyof TimeoutsInput> = { tcp: "tcp", tcpfin: "tcpFin", udp: "udp" };
  const a = cx.args(st, 2, 6) ?? [];
  for (let i = 0; i < a.length; i += 2) {
    const key = Object.hasOwn(keys, a[i]!.text) ? keys[a[i]!.text] : undefined; // not "constructor"
    if (!key) return cx.error(a[i]!, `lvs_timeouts: '${a[i]!.text}' is not one of tcp, tcpfin, udp`);
    put(d.timeouts, key, cx.numberAt(a[i + 1] ?? a[i], a[i]!.text), st, cx);
  }
}

// --- vrrp_script -----------------------------------------------------------------------------------

export const VRRP_SCRIPT: Table<Draft<ScriptInput>> = {
  script: value((st, d, cx) => put(d, "script", cx.command(st), st, cx)),
  interval: num("interval"),
  timeout: num("timeout"),
  weight: value((st, d, cx) => {
    const a = cx.args(st, 1, 2);
    if (a?.[1]) cx.error(a[1], `weight: '${a[1].text}' is not supported (lvs-agent has no reverse weights)`);
    put(d, "weight", cx.numberAt(a?.[0], "weight"), st, cx);
  }),
  rise: num("rise", { int: true }),
  fall: num("fall", { int: true }),
  user: value((st, d, cx) => {
    const a = cx.args(st, 1, 2);
    if (a?.[1])
      cx.note(a[1], `user: the group '${a[1].text}' is not applied: the script runs with the user's own group`);
    put(d, "user", a?.[0]!.text, st, cx);
  }),
};

// --- vrrp_instance ---------------------------------------------------------------------------------

type I = InstanceDraft;

export const VRRP_INSTANCE: Table<I> = {
  state: value((st, d, cx) => {
    const s = cx.choice(st, ["MASTER", "BACKUP"]);
    if (s === "MASTER") d.stateMaster = st.keyword;
    if (s)
      cx.note(
        st.keyword,
        `state ${s} is only keepalived's start-up hint; lvs-agent starts as BACKUP (MASTER at once only with priority 255) and elects by priority`,
      );
  }),
  interface: str("interface"),
  virtual_router_id: num("vrid", { int: true }),
  priority: num("priority", { int: true }),
  advert_int: num("advertInterval"),
  version: num("version", { int: true }),
  nopreempt: value((st, d, cx) => cx.args(st, 0) && put(d, "preempt", false, st, cx)),
  preempt: value((st, d, cx) => cx.args(st, 0) && put(d, "preempt", true, st, cx)),
  preempt_delay: num("preemptDelay"),
  accept: value((st, d, cx) => cx.args(st, 0) && put(d, "acceptMode", true, st, cx)),
  no_accept: value((st, d, cx) => cx.args(st, 0) && put(d, "acceptMode", false, st, cx)),
  unicast_src_ip: str("sourceIp"),
  mcast_src_ip: str("sourceIp"),
  unicast_peer: block(unicastPeers),
  authentication: block(authentication),
  virtual_ipaddress: block(virtualAddresses),
  virtual_routes: block((st, d, cx) => {
    const routes = virtualRoutes(st, cx);
    put(d, "virtualRoutes", [...(d.v.virtualRoutes ?? []), ...routes], st, cx);
  }),
  track_interface: block((st, d, cx) => trackRefs(st, d, cx, "trackInterfaces")),
  track_script: block((st, d, cx) => trackRefs(st, d, cx, "trackScripts")),
  track_process: block((st, d, cx) => trackRefs(st, d, cx, "trackProcesses")),
  notify_master: value((st, d, cx) => notify(st, d, cx, "master")),
  notify_backup: value((st, d, cx) => notify(st, d, cx, "backup")),
  notify_fault: value((st, d, cx) => notify(st, d, cx, "fault")),
  notify_stop: value((st, d, cx) => notify(st, d, cx, "stop")),
  notify: value((st, d, cx) => notify(st, d, cx, "any")),
  ...garpTable<I>(""),
  lvs_sync_daemon_interface: value((st, d, cx) => {
    const name = cx.word(st);
    if (name) d.syncInterface = { name, at: st.keyword };
  }),
  smtp_alert: noted(EMAIL),
  ...VMAC_KEYWORDS,
};

function unicastPeers(st: Statement, d: I, cx: Cx): void {
  const peers: string[] = [];
  for (const item of st.block ?? []) {
    cx.itemOptions(item, [], "unicast_peer");
    cx.locate([...d.path, "unicastPeers", peers.length], item.keyword, "unicast_peer");
    peers.push(item.keyword.text);
  }
  put(d, "unicastPeers", peers, st, cx);
}

function authentication(st: Statement, d: I, cx: Cx): void {
  const auth: { type?: "PASS" | "AH"; password?: string; at?: Statement } = {};
  cx.walk(
    st.block ?? [],
    {
      auth_type: value((s) => {
        auth.type = cx.choice(s, ["PASS", "AH"]) as "PASS" | "AH" | undefined;
      }),
      auth_pass: value((s) => {
        // A word, never quoted back in a message: it is a secret.
        const p = cx.args(s, 1)?.[0]!.text;
        if (p !== undefined && p.length > 8)
          cx.note(
            s.keyword,
            "auth_pass: only the first 8 characters are used, as keepalived does (VRRPv2 carries 8 bytes)",
          );
        auth.password = p?.slice(0, 8);
        auth.at = s;
      }),
    },
    d,
    "authentication",
  );
  if (auth.type === undefined || auth.password === undefined)
    return cx.error(st.keyword, "authentication needs auth_type PASS|AH and auth_pass");
  put(d, "auth", { type: auth.type, password: auth.password }, st, cx);
  if (auth.at) cx.locate([...d.path, "auth", "password"], auth.at.keyword, "auth_pass");
}

/** `<IPADDR>[/<MASK>] [dev <STRING>] [brd <IPADDR>|+|-] [label <LABEL>]`, one per line. */
function virtualAddresses(st: Statement, d: I, cx: Cx): void {
  const vips: NonNullable<InstanceInput["virtualAddresses"]> = [];
  for (const item of st.block ?? []) {
    const opts = cx.itemOptions(item, ["dev", "label", "brd"], "virtual_ipaddress");
    const label = opts.get("label");
    if (label)
      cx.note(
        label,
        `virtual_ipaddress: label ${label.text} only names the address for ifconfig; lvs-agent adds it without a label`,
      );
    const dev = opts.get("dev")?.text;
    const brd = opts.get("brd")?.text;
    for (const sub of [[], ["address"], ["device"], ["broadcast"]])
      cx.locate([...d.path, "virtualAddresses", vips.length, ...sub], item.keyword, "virtual_ipaddress");
    vips.push({
      address: item.keyword.text,
      ...(dev ? { device: dev } : {}),
      ...(brd && brd !== "-" ? { broadcast: brd } : {}),
    });
  }
  put(d, "virtualAddresses", vips, st, cx);
}

/** `<NAME> [weight <N>]`, one per line; a second block of the same kind adds to the first, as in keepalived. */
function trackRefs(st: Statement, d: I, cx: Cx, key: "trackInterfaces" | "trackScripts" | "trackProcesses"): void {
  const refs: { name: string; weight?: number }[] = [...(d.v[key] ?? [])];
  const before = refs.length;
  for (const item of st.block ?? []) {
    const w = cx.itemOptions(item, ["weight"], st.keyword.text).get("weight");
    for (const sub of [[], ["name"], ["weight"]])
      cx.locate([...d.path, key, refs.length, ...sub], item.keyword, st.keyword.text);
    const weight = cx.numberAt(w, "weight");
    refs.push(weight === undefined ? { name: item.keyword.text } : { name: item.keyword.text, weight });
  }
  if (before === 0) cx.locate([...d.path, key], st.keyword, st.keyword.text);
  d.v[key] = refs;
}

/** notify_* <STRING>|<QUOTED-STRING> [username [groupname]] */
function notify(st: Statement, d: I, cx: Cx, hook: keyof NonNullable<InstanceInput["notify"]>): void {
  const a = cx.args(st, 1, 3);
  if (!a) return;
  if (a[1])
    cx.error(a[1], `${st.keyword.text}: a user per hook is not supported; hooks run as global_defs script_user`);
  const cmd = cx.command(st, a.slice(0, 1));
  if (cmd === undefined) return;
  d.v.notify = { ...d.v.notify, [hook]: cmd };
  cx.locate([...d.path, "notify", hook], st.keyword, st.keyword.text);
}

/** What lvs-agent cannot run an instance without. */
const REQUIRED: [keyof InstanceInput, string][] = [
  ["interface", "interface"],
  ["vrid", "virtual_router_id"],
];

/** The instance as AgentConfig: version and garp settings from global_defs unless set in the instance. */
export function finishInstance(d: I, g: GlobalDefs, cx: Cx): InstanceInput {
  const v = { ...d.v } as InstanceInput;
  const missing = REQUIRED.filter(([key]) => v[key] === undefined).map(([, kw]) => kw);
  if (missing.length > 0) cx.error(d.at, `vrrp_instance ${d.name} has no ${missing.join(", no ")}`);
  if (v.virtualAddresses === undefined && !g.strict)
    cx.note(
      d.at,
      `vrrp_instance ${d.name} has no virtual_ipaddress: it only elects a master and runs its notify hooks (keepalived warns "No VIP specified" and runs it the same way)`,
    );
  if (v.version === undefined) {
    v.version = (g.version?.value ?? 2) as InstanceInput["version"];
    if (g.version) cx.locate([...d.path, "version"], g.version.at, "vrrp_version");
  }
  if (g.strict) strictInstance(d, v, cx);
  finishVmac(d, v, cx);
  const garp = layered(cx, d.garp.path, [g.garp, d.garp]);
  if (Object.keys(garp).length > 0) v.garp = garp as GarpInput;
  return v;
}

/** vrrp_strict on one instance: strict receive checks, accept off unless the address owner, and the refusals. */
function strictInstance(d: I, v: InstanceInput, cx: Cx): void {
  v.strict = true;
  v.acceptMode ??= v.priority === 255;
  strictProblems(
    { ...v, name: d.name, at: d.at, ...(d.stateMaster ? { stateMaster: d.stateMaster } : {}) },
    (key) => cx.origin([...d.path, key])?.origin,
    cx,
  );
}
