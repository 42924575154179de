// `lvsctl import` core (pure): each director's keepalived.conf, as lvs-agent --keepalived-conf reads it
// (an AgentConfig, with a way to name the file:line of any of its values), merged into one ClusterSpec.
// vrrp_instances with the same interface and VRID are one VIP with a priority per director; virtual
// servers with the same address:port (or fwmark) and protocol are one; real servers are one per
// address. What a ClusterSpec cannot say is a problem naming file:line, the reason and the fix; what a
// director only used for keepalived's emails or logs is a warning.
import type { AgentConfig, AgentVrrpInstanceConfig } from "../../../agent/src/config/schema.ts";
import type { VirtualServerConfig } from "../../../agent/src/config/ipvs.ts";
import { HealthCheck } from "../../../agent/src/config/health-checks.ts";
import type { ClusterSpecInput } from "../../../provider/src/cluster/spec.ts";

type Path = (string | number)[];
type Vip = NonNullable<ClusterSpecInput["vips"]>[number];
type Vs = NonNullable<ClusterSpecInput["virtualServers"]>[number];
type Backend = NonNullable<Vs["backends"]>[number];

export interface DirectorImport {
  /** the director's name in the cluster (the file name stem unless given) */
  name: string;
  file: string;
  /** --director NAME=ADDRESS; else its instances' unicast_src_ip */
  address?: string;
  config: AgentConfig;
  /** "file:line" of the keyword a config path came from, or the file alone */
  where(path: Path): string;
}

export interface MergeResult {
  spec: ClusterSpecInput;
  problems: string[];
  warnings: string[];
}

/** A resource name from a keepalived name or address: [A-Za-z0-9_.-], starting with a letter or digit. */
export function resourceNameOf(text: string): string {
  const s = text.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return (s || "x").slice(0, 64);
}

class Merge {
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  private readonly vips = new Map<string, { vip: Vip; from: string; key: string }>();
  private readonly vss = new Map<string, { vs: Vs; from: string; directors: Set<string> }>();
  private readonly realServers = new Map<string, string>();

  constructor(private readonly ds: readonly DirectorImport[]) {}

  problem(at: string, text: string): void {
    this.problems.push(`${at}: ${text}`);
  }

  run(): MergeResult {
    const directors = this.ds.map((d) => ({
      name: d.name,
      address: this.addressOf(d) ?? "",
      connection: { host: "" },
    }));
    directors.forEach((d) => (d.connection.host = d.address));
    for (const d of this.ds) this.director(d);
    const vipDirectors = this.vipDirectors();
    for (const d of this.ds)
      for (const [name, vs] of Object.entries(d.config.virtualServers)) this.virtualServer(d, name, vs);
    for (const { vs, directors: have } of this.vss.values()) {
      const need = vipDirectors.get(vs.vip) ?? [];
      const missing = need.filter((n) => !have.has(n));
      if (missing.length)
        this.problems.push(
          `virtual server ${vs.name} is on ${[...have].join(", ")} but not on ${missing.join(", ")}, which hold its VIP ${vs.vip}: a ClusterSpec virtual server runs on every director of its VIP; add it to the others' files, or remove it`,
        );
    }
    const spec: ClusterSpecInput = {
      directors,
      vips: [...this.vips.values()].map((v) => v.vip),
      realServers: [...this.realServers].map(([address, name]) => ({ name, address })),
      virtualServers: [...this.vss.values()].map((v) => v.vs),
    };
    return { spec, problems: this.problems, warnings: this.warnings };
  }

  private addressOf(d: DirectorImport): string | undefined {
    if (d.address) return d.address;
    const sources = [...new Set(Object.values(d.config.instances).flatMap((i) => (i.sourceIp ? [i.sourceIp] : [])))];
    if (sources.length === 1) return sources[0];
    this.problem(
      d.file,
      sources.length
        ? `director ${d.name} has several unicast_src_ip/mcast_src_ip (${sources.join(", ")}): name its address with --director ${d.name}=ADDRESS`
        : `director ${d.name} has no unicast_src_ip: give its address with --director ${d.name}=ADDRESS`,
    );
    return undefined;
  }

  private vipDirectors(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const { vip } of this.vips.values()) out.set(vip.name, Object.keys(vip.priorities));
    return out;
  }

  /** What of the director's file no ClusterSpec field carries. */
  private director(d: DirectorImport): void {
    const c = d.config;
    const refuse = (path: Path, what: string, fix: string) =>
      this.problem(d.where(path), `${what} has no place in a ClusterSpec: ${fix}`);
    for (const name of Object.keys(c.syncGroups))
      refuse(
        ["syncGroups", name],
        `vrrp_sync_group ${name}`,
        "run one VIP per group, or keep this director on keepalived",
      );
    for (const name of Object.keys(c.trackProcesses))
      refuse(["trackProcesses", name], `vrrp_track_process ${name}`, "track it with a vrrp_script (pgrep) instead");
    c.staticAddresses.forEach((_, i) =>
      refuse(["staticAddresses", i], "static_ipaddress", "configure the address in the host's network settings"),
    );
    if (c.syncDaemon && !c.instances[c.syncDaemon.followInstance])
      refuse(["syncDaemon"], "lvs_sync_daemon", "name one of this file's vrrp_instances");
    if (c.global.routerId)
      this.warnings.push(
        `${d.where(["global", "routerId"])}: router_id only names the director in keepalived's emails and logs; the ClusterSpec names it ${d.name}`,
      );
    for (const [name, inst] of Object.entries(c.instances)) this.instance(d, name, inst);
  }

  private instance(d: DirectorImport, name: string, i: AgentVrrpInstanceConfig): void {
    const at = (...p: Path) => d.where(["instances", name, ...p]);
    const before = this.problems.length;
    const refuse = (p: Path, what: string, fix: string) =>
      this.problem(at(...p), `${what} has no place in a ClusterSpec VIP: ${fix}`);
    if (i.trackProcesses.length) refuse(["trackProcesses"], "track_process", "track it with a vrrp_script instead");
    if (Object.keys(i.notify).length)
      refuse(["notify"], "notify hooks", "run them from the agent's metrics or status instead, or remove them");
    if (i.virtualRoutes.length)
      refuse(["virtualRoutes"], "virtual_routes", "add the routes in the host's network settings");
    if (i.strict) refuse(["strict"], "vrrp_strict", "remove vrrp_strict (a ClusterSpec VIP always accepts)");
    if (i.vmac)
      refuse(
        ["vmac"],
        "use_vmac",
        "remove use_vmac and vmac_xmit_base, or run this file with lvs-agent --keepalived-conf",
      );
    if (!i.virtualAddresses.length) refuse([], `vrrp_instance ${name} without virtual_ipaddress`, "give it an address");
    i.virtualAddresses.forEach((v, n) => {
      if (v.device && v.device !== i.interface)
        refuse(
          ["virtualAddresses", n],
          `${v.address} dev ${v.device} (not the instance's interface)`,
          `move it to ${i.interface} or to its own vrrp_instance on ${v.device}`,
        );
      if (v.broadcast) refuse(["virtualAddresses", n], "brd", "remove it (a ClusterSpec VIP has no broadcast address)");
    });
    if (this.problems.length > before) return;
    const vip = this.vipOf(d, name, i);
    const key = `${i.interface} ${i.vrid}`;
    const seen = this.vips.get(key);
    if (!seen) return void this.vips.set(key, { vip, from: at(), key });
    const diff = differs(seen.vip, vip, ["priorities", "name"]);
    if (diff)
      return this.problem(
        at(),
        `vrrp_instance ${name} (${key}) differs from ${seen.from} in ${diff}: one VIP must be the same on every director but its priority; make them equal`,
      );
    seen.vip.priorities[d.name] = i.priority;
  }

  private vipOf(d: DirectorImport, name: string, i: AgentVrrpInstanceConfig): Vip {
    const scripts = Object.fromEntries(
      i.trackScripts.map((t) => {
        const s = d.config.scripts[t.name]!;
        return [t.name, { ...s, weight: t.weight ?? s.weight }];
      }),
    );
    const sync = d.config.syncDaemon?.followInstance === name ? d.config.syncDaemon : undefined;
    return {
      name: resourceNameOf(name),
      interface: i.interface,
      vrid: i.vrid,
      version: i.version,
      advertInterval: i.advertInterval,
      addresses: i.virtualAddresses.map((v) => v.address),
      priorities: { [d.name]: i.priority },
      unicast: i.unicastPeers.length > 0,
      ...(i.auth ? { auth: i.auth } : {}),
      preempt: i.preempt,
      preemptDelay: i.preemptDelay,
      garp: i.garp,
      trackInterfaces: i.trackInterfaces,
      trackScripts: scripts,
      ...(sync ? { syncDaemon: { interface: sync.interface, syncId: sync.syncId } } : {}),
    };
  }

  private vipFor(address: string | undefined): Vip | undefined {
    if (!address) return undefined;
    return [...this.vips.values()].find(({ vip }) => vip.addresses.some((a) => a.split("/")[0] === address))?.vip;
  }

  private virtualServer(d: DirectorImport, name: string, s: VirtualServerConfig): void {
    const at = (...p: Path) => d.where(["virtualServers", name, ...p]);
    const before = this.problems.length;
    const vip = this.vipFor(s.address);
    if (!vip)
      return this.problem(
        at(),
        `virtual_server ${name}: its address is not a virtual_ipaddress of any vrrp_instance: a ClusterSpec virtual server runs on a VIP's directors; add its address to an instance's virtual_ipaddress`,
      );
    const check = (hc: unknown, p: Path) => {
      if (hc === undefined || hc === "none") return hc;
      if (HealthCheck.safeParse(hc).success) return hc;
      this.problem(
        at(...p),
        "this checker uses what only lvs-agent's keepalived import runs (SMTP_CHECK, DNS_CHECK, several url blocks, regex or connect_ip): a ClusterSpec takes TCP_CHECK, HTTP_GET/SSL_GET with one url, or MISC_CHECK; rewrite it as one of those",
      );
      return undefined;
    };
    const refuse = (p: Path, what: string, fix: string) =>
      this.problem(at(...p), `${what} has no place in a ClusterSpec virtual server: ${fix}`);
    if (s.quorumUp || s.quorumDown)
      refuse(
        [s.quorumUp ? "quorumUp" : "quorumDown"],
        "quorum_up/quorum_down",
        "remove them, or run this file with lvs-agent --keepalived-conf",
      );
    if (s.hysteresis) refuse(["hysteresis"], "hysteresis", "remove it (a ClusterSpec quorum has none)");
    if (s.port === 0) refuse(["port"], "port 0 (every port)", "mark the traffic and use a fwmark service instead");
    s.realServers.forEach((rs, n) => {
      if (rs.port === 0) refuse(["realServers", n], "a real server on port 0", "give its port");
    });
    const backends: Backend[] = s.realServers.map((rs, n) => {
      if (rs.moreHealthChecks?.length)
        this.problem(
          at("realServers", n, "moreHealthChecks", 0),
          "a second checker on a real server has no place in a ClusterSpec: keep one, or a MISC_CHECK that runs both",
        );
      const server = this.realServerName(rs.address);
      const hc = check(rs.healthCheck, ["realServers", n, "healthCheck"]);
      return clean({
        server,
        port: rs.port,
        weight: rs.weight,
        upperThreshold: rs.upperThreshold,
        lowerThreshold: rs.lowerThreshold,
        forwarding: rs.forwarding,
        healthCheck: hc,
        inhibitOnFailure: rs.inhibitOnFailure,
      }) as Backend;
    });
    const vs = clean({
      name: resourceNameOf(name.replace(":", "-")),
      vip: vip.name,
      address: s.address,
      port: s.port,
      protocol: s.protocol,
      fwmark: s.fwmark,
      scheduler: s.scheduler,
      forwarding: s.forwarding,
      persistence: s.persistence,
      flags: s.flags,
      healthCheck: check(s.healthCheck, ["healthCheck"]),
      sorryServer: s.sorryServer,
      quorum: s.quorum,
      alpha: s.alpha,
      inhibitOnFailure: s.inhibitOnFailure,
      drain: s.drain,
      backends,
    }) as Vs;
    if (this.problems.length > before) return;
    const seen = this.vss.get(name);
    if (!seen) return void this.vss.set(name, { vs, from: at(), directors: new Set([d.name]) });
    const diff = differs(seen.vs, vs, []);
    if (diff)
      return this.problem(
        at(),
        `virtual_server ${name} differs from ${seen.from} in ${diff}: make them equal on every director`,
      );
    seen.directors.add(d.name);
  }

  private realServerName(address: string): string {
    const known = this.realServers.get(address);
    if (known) return known;
    const name = resourceNameOf(`rs-${address}`);
    this.realServers.set(address, name);
    return name;
  }
}

/** Fields absent when undefined, so two directors' objects compare by what they say. */
function clean<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The first top-level field in which a and b differ, ignoring `skip`; undefined when equal. */
export function differs(a: object, b: object, skip: string[]): string | undefined {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    if (skip.includes(k)) continue;
    const [x, y] = [(a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]];
    if (JSON.stringify(x) !== JSON.stringify(y)) return k;
  }
  return undefined;
}

export function mergeDirectors(ds: readonly DirectorImport[]): MergeResult {
  const names = ds.map((d) => d.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup)
    return {
      spec: { directors: [] },
      problems: [`two files are director ${dup}: name them with --director NAME=ADDRESS, one per file, in order`],
      warnings: [],
    };
  return new Merge(ds).run();
}
