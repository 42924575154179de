// keepalived's virtual_server sections into AgentConfig virtual servers, real servers and health
// checks. keepalived's defaults are written out where they differ from lvs-agent's: forwarding NAT,
// delay_loop 60 s, a check's warmup up to its delay_loop, delay_before_retry 3 s for HTTP_GET/SSL_GET,
// no retry for MISC_CHECK. Pure.
import { isIPv4, isIPv6 } from "node:net";
import type { AgentConfigInput } from "../config/schema.ts";
import type { Token } from "./lexer.ts";
import { splitLine, type Statement } from "./parser.ts";
import type { ServerGroup } from "./convert-vsgroup.ts";
import { CHECKERS, FIELDS, LAYER, onLayer, type HealthCheckDraft, type HealthCheckFields } from "./convert-checkers.ts";
import {
  block,
  flag,
  layered,
  noted,
  num,
  put,
  str,
  value,
  type Cx,
  type Draft,
  type Entry,
  type Table,
} from "./cx.ts";

type VsInput = Required<AgentConfigInput>["virtualServers"][string];
type RsInput = NonNullable<VsInput["realServers"]>[number];

export interface RealServerDraft extends Draft<RsInput> {
  at: Token;
  /** checker options given on the real server */
  layer: Draft<HealthCheckFields>;
  /** the first checker, then the others (keepalived: all of a real server's checkers must pass) */
  healthCheck?: HealthCheckDraft;
  moreHealthChecks: HealthCheckDraft[];
}

export interface VirtualServerDraft extends Draft<VsInput> {
  at: Token;
  /** checker options given on the virtual server */
  layer: Draft<HealthCheckFields>;
  persistence: { timeout?: number; netmask?: number; at?: Token };
  realServers: RealServerDraft[];
}

function checker(name: string): Entry<RealServerDraft> {
  const { kind, table } = CHECKERS[name]!;
  return block((st, rs, cx) => {
    // A further checker runs beside the first: the real server is up only while all of them pass.
    const i = rs.moreHealthChecks.length;
    const path = rs.healthCheck ? [...rs.path, "moreHealthChecks", i] : [...rs.path, "healthCheck"];
    const check: HealthCheckDraft = { kind, at: st.keyword, path, v: {} };
    if (rs.healthCheck) rs.moreHealthChecks.push(check);
    else rs.healthCheck = check;
    cx.locate(path, st.keyword, name);
    cx.walk(st.block ?? [], table, check, name);
  });
}

// --- real_server -----------------------------------------------------------------------------------

const REAL_SERVER: Table<RealServerDraft> = {
  weight: num("weight", { int: true }),
  inhibit_on_failure: flag("inhibitOnFailure"),
  uthreshold: num("upperThreshold", { int: true }),
  lthreshold: num("lowerThreshold", { int: true }),
  lvs_method: value((st, d, cx) => put(d, "forwarding", method(st, cx), st, cx)),
  smtp_alert: noted("configures keepalived's email alerts, which lvs-agent does not send (use the metrics); ignored"),
  ...onLayer<RealServerDraft>(LAYER),
  ...Object.fromEntries(Object.keys(CHECKERS).map((k) => [k, checker(k)])),
};

// --- virtual_server --------------------------------------------------------------------------------

type V = VirtualServerDraft;

/** NAT, DR or TUN in capitals: keepalived 2.2.7 reads any other spelling as unknown and forwards with NAT. */
function method(st: Statement, cx: Cx): "NAT" | "DR" | "TUN" | undefined {
  const w = cx.word(st);
  if (w === undefined || w === "NAT" || w === "DR" || w === "TUN") return w;
  const hint = ["NAT", "DR", "TUN"].includes(w.toUpperCase())
    ? ` (keepalived 2.2.7 does not know '${w}' and forwards with NAT instead: write ${w.toUpperCase()})`
    : "";
  cx.error(st.args[0]!, `'${st.keyword.text}' takes NAT|DR|TUN, got '${w}'${hint}`);
  return undefined;
}

const forwarding = value<V>((st, d, cx) => put(d, "forwarding", method(st, cx), st, cx));
const scheduler = str<VsInput>("scheduler");
const flagOf = (key: "onePacket" | "port" | "fallback") =>
  value<V>((st, d, cx) => {
    if (!cx.args(st, 0)) return;
    d.v.flags = { ...d.v.flags, [key]: true };
    cx.locate([...d.path, "flags", key], st.keyword, st.keyword.text);
  });

export const VIRTUAL_SERVER: Table<V> = {
  lb_algo: scheduler,
  lvs_sched: scheduler,
  lb_kind: forwarding,
  lvs_method: forwarding,
  protocol: value((st, d, cx) => put(d, "protocol", cx.choice(st, ["TCP", "UDP", "SCTP"]), st, cx)),
  persistence_timeout: value((st, d, cx) => {
    const a = cx.args(st, 0, 1);
    // keepalived: "persistence_timeout [<INTEGER>] ... default 6 minutes"
    if (a)
      Object.assign(d.persistence, { timeout: a[0] ? cx.numberAt(a[0], "persistence_timeout") : 360, at: st.keyword });
  }),
  persistence_granularity: value((st, d, cx) => {
    const mask = cx.word(st);
    const prefix = mask === undefined ? undefined : maskPrefix(mask);
    if (mask !== undefined && prefix === undefined)
      cx.error(st.args[0]!, `persistence_granularity needs a netmask such as 255.255.255.0, got '${mask}'`);
    if (prefix !== undefined) d.persistence.netmask = prefix;
    cx.locate([...d.path, "persistence", "netmask"], st.keyword, st.keyword.text);
  }),
  sorry_server: value((st, d, cx) => {
    const a = cx.args(st, 1, 2);
    if (!a) return;
    put(
      d,
      "sorryServer",
      { ...d.v.sorryServer, address: a[0]!.text, ...(a[1] ? { port: cx.numberAt(a[1], "sorry_server port") } : {}) },
      st,
      cx,
    );
  }),
  sorry_server_lvs_method: value((st, d, cx) => {
    const m = method(st, cx);
    if (!d.v.sorryServer) return cx.error(st.keyword, "sorry_server_lvs_method needs a sorry_server before it");
    if (m) d.v.sorryServer = { ...d.v.sorryServer, forwarding: m };
    cx.locate([...d.path, "sorryServer", "forwarding"], st.keyword, st.keyword.text);
  }),
  quorum: num("quorum", { int: true }),
  hysteresis: num("hysteresis", { int: true }),
  quorum_up: quorumScript("quorumUp"),
  quorum_down: quorumScript("quorumDown"),
  alpha: onWhateverItSays("alpha"),
  omega: onWhateverItSays("omega"),
  inhibit_on_failure: flag("inhibitOnFailure"),
  ops: flagOf("onePacket"),
  "sh-port": flagOf("port"),
  "mh-port": flagOf("port"),
  "sh-fallback": flagOf("fallback"),
  "mh-fallback": flagOf("fallback"),
  nat_mask: noted("is ignored by keepalived 2.x (an unknown keyword there); lvs-agent ignores it too"),
  smtp_alert: noted("configures keepalived's email alerts, which lvs-agent does not send (use the metrics); ignored"),
  ha_suspend: noted(
    "(keepalived: check real servers only while this director holds the address) is not applied: lvs-agent always checks them",
  ),
  ip_family: value((st, d, cx) => {
    // keepalived takes the family from the addresses; ip_family only has to agree with them.
    const family = cx.choice(st, ["inet", "inet6"]);
    if (family === undefined) return;
    const own = d.v.address ?? d.v.sorryServer?.address;
    const v6 = own !== undefined && isIPv6(own);
    if (own !== undefined && v6 !== (family === "inet6"))
      return cx.error(
        st.args[0]!,
        `'ip_family ${family}' but the virtual server's address ${own} is ${v6 ? "IPv6" : "IPv4"}: write 'ip_family ${v6 ? "inet6" : "inet"}' or remove the line`,
      );
    cx.note(st.keyword, `'ip_family ${family}' is what the addresses say anyway; nothing more to apply`);
  }),
  ...onLayer<V>(LAYER),
  real_server: block(realServer),
};

/** Files already told who runs quorum scripts: once per file is enough. */
const toldScriptUser = new WeakSet<Cx>();

/** quorum_up / quorum_down: the command, and once per file who runs it. */
function quorumScript(key: "quorumUp" | "quorumDown"): Entry<V> {
  return value((st, d, cx) => {
    put(d, key, cx.command(st), st, cx);
    if (toldScriptUser.has(cx)) return;
    toldScriptUser.add(cx);
    cx.note(
      st.keyword,
      `'${st.keyword.text}' (and every quorum script) runs as global_defs script_user, nobody by default, where keepalived without enable_script_security runs it as root: a command that needs root, such as ip addr, needs 'script_user root'`,
    );
  });
}

/**
 * alpha and omega: keepalived 2.2.7 turns them on whatever argument follows (its handlers ignore it),
 * so `alpha 1` or `omega on` mean on. An argument that reads as off would be turned on by keepalived
 * against its writer's intent: refused, naming both ways out.
 */
function onWhateverItSays(key: "alpha" | "omega"): Entry<V> {
  return value((st, d, cx) => {
    const arg = st.args[0];
    if (st.args.length > 1) return void cx.args(st, 0, 1);
    if (arg && !["1", "on", "true", "yes"].includes(arg.text.toLowerCase()))
      return cx.error(
        arg,
        `'${key} ${arg.text}': keepalived 2.2.7 ignores ${key}'s argument and turns ${key} on; write '${key}' alone to keep it on, or remove the line for off`,
      );
    put(d, key, true, st, cx);
  });
}

function maskPrefix(mask: string): number | undefined {
  if (!isIPv4(mask)) return undefined;
  const bits = mask
    .split(".")
    .map((o) => Number(o).toString(2).padStart(8, "0"))
    .join("");
  return /^1*0*$/.test(bits) ? bits.replace(/0/g, "").length : undefined;
}

function realServer(st: Statement, vs: V, cx: Cx): void {
  const a = cx.args(st, 1, 2);
  if (!a) return;
  const i = vs.realServers.length;
  const rs: RealServerDraft = {
    at: st.keyword,
    path: [...vs.path, "realServers", i],
    v: { address: a[0]!.text },
    layer: { path: [...vs.path, "realServers", i, "~healthCheck"], v: {} },
    moreHealthChecks: [],
  };
  cx.locate(rs.path, st.keyword, `real_server ${a.map((t) => t.text).join(" ")}`);
  if (a[1]) put(rs, "port", cx.numberAt(a[1], "real_server port"), st, cx);
  cx.walk(st.block ?? [], REAL_SERVER, rs, "real_server");
  vs.realServers.push(rs);
}

/**
 * `virtual_server ADDR PORT { ... }`, `virtual_server fwmark N { ... }` or `virtual_server group NAME { ... }`
 * read into drafts: one, or one per address of the group (convert-vsgroup.ts).
 */
export function readVirtualServer(st: Statement, cx: Cx, groups: ReadonlyMap<string, ServerGroup> = new Map()): V[] {
  const a = cx.args(st, 2);
  if (!a) return [];
  const [first, second] = [a[0]!, a[1]!];
  if (first.text !== "group") {
    const v: Partial<VsInput> =
      first.text === "fwmark"
        ? { fwmark: cx.numberAt(second, "fwmark") }
        : { address: first.text, port: cx.numberAt(second, "virtual_server port") };
    return [readOne(st, cx, v, `virtual_server ${a.map((t) => t.text).join(" ")}`)];
  }
  const group = groups.get(second.text);
  if (!group) {
    cx.error(second, `no virtual_server_group ${second.text} is defined before this virtual_server`);
    return [];
  }
  if (group.members.length > 1)
    cx.note(
      st.keyword,
      `virtual_server group ${second.text}: lvs-agent sets up each of its ${group.members.length} addresses as a virtual server of its own, with these settings and real servers, and checks each real server once per address`,
    );
  return group.members.map((m) =>
    readOne(
      st,
      cx,
      "fwmark" in m ? { fwmark: m.fwmark } : { address: m.address, port: m.port },
      `virtual_server group ${second.text}`,
    ),
  );
}

function readOne(st: Statement, cx: Cx, v: Partial<VsInput>, what: string): V {
  // The name includes the protocol, so read it before the block is walked and located under the name.
  const known = (w: string) => Object.hasOwn(VIRTUAL_SERVER, w);
  const proto = (st.block ?? []).flatMap((s) => splitLine(s, known)).find((s) => s.keyword.text === "protocol")
    ?.args[0]?.text;
  const path = ["virtualServers", virtualServerName({ ...v, protocol: proto?.toUpperCase() as VsInput["protocol"] })];
  const vs: V = {
    at: st.keyword,
    path,
    v,
    layer: { path: [...path, "~healthCheck"], v: {} },
    persistence: {},
    realServers: [],
  };
  cx.locate(path, st.keyword, what);
  for (const key of Object.keys(v)) cx.locate([...path, key], st.keyword, "virtual_server");
  cx.walk(st.block ?? [], VIRTUAL_SERVER, vs, "virtual_server");
  return vs;
}

/** The name a virtual server has in AgentConfig: "10.0.0.1:80", "10.0.0.1:53/udp" or "fwmark-1". */
export function virtualServerName(v: Partial<VsInput>): string {
  if (v.fwmark !== undefined) return `fwmark-${v.fwmark}`;
  const proto = v.protocol && v.protocol !== "TCP" ? `/${v.protocol.toLowerCase()}` : "";
  return `${v.address}:${v.port}${proto}`;
}

/** The virtual server as AgentConfig, with keepalived's defaults where they differ from lvs-agent's. */
export function finishVirtualServer(vs: V, cx: Cx): VsInput {
  const out = { ...vs.v, forwarding: vs.v.forwarding ?? "NAT" } as VsInput;
  const p = vs.persistence;
  if (p.timeout !== undefined) {
    out.persistence = p.netmask === undefined ? { timeout: p.timeout } : { timeout: p.timeout, netmask: p.netmask };
    if (p.at) cx.locate([...vs.path, "persistence", "timeout"], p.at, "persistence_timeout");
  } else if (p.netmask !== undefined) {
    cx.error(
      cx.origin([...vs.path, "persistence", "netmask"])!.origin,
      "persistence_granularity needs persistence_timeout",
    );
  }
  const omega = cx.origin([...vs.path, "omega"]);
  if (out.omega && !out.quorumDown && omega)
    cx.note(
      omega.origin,
      "'omega' makes keepalived (and lvs-agent) run quorum_down at shutdown, and this virtual server has none: nothing to run",
    );
  out.realServers = vs.realServers.map((rs) => finishRealServer(rs, vs, cx));
  return out;
}

function finishRealServer(rs: RealServerDraft, vs: V, cx: Cx): RsInput {
  const out = { ...rs.v } as RsInput;
  if (!rs.healthCheck) return out;
  out.healthCheck = finishCheck(rs.healthCheck, rs, vs, cx);
  if (rs.moreHealthChecks.length > 0)
    out.moreHealthChecks = rs.moreHealthChecks.map((c) => finishCheck(c, rs, vs, cx)) as RsInput["moreHealthChecks"];
  return out;
}

/** One checker with the options the virtual and real server give it, and keepalived's defaults. */
function finishCheck(check: HealthCheckDraft, rs: RealServerDraft, vs: V, cx: Cx): RsInput["healthCheck"] {
  const path = check.path;
  const kind = check.kind;
  const merged = layered(cx, path, [vs.layer, rs.layer, check]);
  const fields: Partial<HealthCheckFields> = Object.fromEntries(
    FIELDS[kind].flatMap((k) => (merged[k] === undefined ? [] : [[k, merged[k]]])),
  );
  const interval = fields.interval ?? 60;
  const defaults: Partial<HealthCheckFields> = { interval, warmup: interval };
  if (kind === "http" || kind === "https") defaults.delayBeforeRetry = 3;
  if (kind === "script") defaults.retries = 0;
  return { type: kind, ...defaults, ...fields } as RsInput["healthCheck"];
}
