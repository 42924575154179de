// `lvsctl doctor`'s examinations (pure): the cluster file and what was observed in, one result per
// examination out, each finding saying what is wrong, where (host, interface, file) and the fix (the
// exact command on which host, or the change to the cluster file). They follow the troubleshooting list
// of an LVS-DR guide (seed 003: VIP bound, firewall, ARP suppression, VRRP heard, VRID/auth/interface
// agreeing, real servers answering) and what keepalived users ask most (a second router on the VRID,
// split brain, NAT without forwarding).
import { confKey } from "../../../provider/src/resources/real-server/plan.ts";
import type { ExaminationId, ExaminationResult, Finding, Observations } from "./observations.ts";
import { instanceOf, ipOf, list, on, redeploy, result, statusOf, View, type Context } from "./view.ts";
import { ServiceExaminations } from "./service-examinations.ts";
import { VrrpExaminations } from "./vrrp-examinations.ts";

export { freeVrid } from "./vrrp-examinations.ts";
export type { Context };

/** "as RealServer sets them on rs2; not on rs1": the hosts that pass, then those with findings. */
function examined(what: string, ok: string[], f: Finding[]): string {
  const bad = [...new Set(f.map((x) => x.host!))];
  return [ok.length ? `${what} on ${list(ok)}` : "", bad.length ? `not on ${list(bad)}` : ""]
    .filter(Boolean)
    .join("; ");
}

class HostExaminations extends View {
  hosts(): ExaminationResult {
    const f: Finding[] = [];
    const base = { examination: "hosts" as const, severity: "fail" as const };
    const answered: string[] = [];
    const unreachable = (kind: string, i: number, name: string, host: string, why: string) =>
      f.push({
        ...base,
        host: name,
        address: host,
        what: `cannot be reached over SSH: ${why}`,
        fix: `make sshd on ${host} answer with the file's connection (${kind}[${i}].connection, ssh:), then run lvsctl doctor -f ${this.c.file} again`,
      });
    for (const d of this.c.plan.directors) {
      const x = this.dObs.get(d.name);
      if (x?.unreachable) {
        unreachable(
          "directors",
          this.c.spec.directors.findIndex((s) => s.name === d.name),
          d.name,
          d.host,
          x.unreachable,
        );
        continue;
      }
      answered.push(d.name);
      if (x?.agent && "error" in x.agent)
        f.push({
          ...base,
          host: d.name,
          address: d.host,
          file: d.agent.statusSocket,
          what: `no agent answers at ${d.agent.statusSocket}: ${x.agent.error}`,
          fix: `install and start it as the file says: ${redeploy(this.c.file)}`,
        });
    }
    for (const r of this.c.plan.realServers) {
      const x = this.rObs.get(r.name);
      if (x?.unreachable)
        unreachable(
          "realServers",
          this.c.spec.realServers.findIndex((s) => s.name === r.name),
          r.name,
          r.host,
          x.unreachable,
        );
      else answered.push(r.name);
    }
    const agents = this.c.plan.directors.filter((d) => statusOf(this.dObs.get(d.name))).map((d) => d.name);
    const skipped = this.c.plan.notExamined.map((n) => `${n.name} not examined: ${n.why}`);
    return result(
      "hosts",
      f,
      [`answered over SSH: ${list(answered)}`, `agents answer on ${list(agents)}`, ...skipped].join("; "),
    );
  }

  vipPlacement(): ExaminationResult {
    const f: Finding[] = [];
    const parts: string[] = [];
    for (const v of this.c.spec.vips) {
      const members = this.members(v);
      const unseen = members.filter((d) => !this.reachable(d)?.addresses).map((d) => d.name);
      for (const cidr of v.addresses) {
        const ip = ipOf(cidr);
        const holders = members.flatMap((d) => {
          const a = this.reachable(d)?.addresses?.find((x) => x.address === ip);
          return a ? [{ d, a }] : [];
        });
        const seen = unseen.length ? ` (${list(unseen)} not seen)` : "";
        if (holders.length === 1) {
          parts.push(`${ip} (${v.name}) on ${holders[0]!.d.name} only${seen}`);
          continue;
        }
        if (holders.length === 0) {
          if (unseen.length === members.length) {
            parts.push(`${ip} (${v.name}): no director seen`);
            continue;
          }
          const states = members
            .map((d) => `${d.name} ${instanceOf(this.dObs.get(d.name), v.name)?.state ?? "no agent answer"}`)
            .join(", ");
          parts.push(`${ip} (${v.name}) on no director`);
          f.push({
            examination: "vip-placement",
            severity: unseen.length ? "warn" : "fail",
            interface: v.interface,
            file: `${this.c.file} ${this.vipPath(v)}`,
            what: `no director${unseen.length ? " seen" : ""} holds ${ip} (${v.name})${seen}; its agents: ${states}`,
            fix: `see why no agent is MASTER (lvsctl status -f ${this.c.file}); to start the agents as the file says: ${redeploy(this.c.file)}`,
          });
          continue;
        }
        const names = holders.map((h) => h.d.name);
        parts.push(`${ip} (${v.name}) on ${list(names)}`);
        const masters = holders.filter((h) => instanceOf(this.dObs.get(h.d.name), v.name)?.state === "MASTER");
        const strays = holders.filter((h) => !masters.includes(h));
        for (const h of strays) {
          const state = instanceOf(this.dObs.get(h.d.name), v.name)?.state;
          f.push({
            examination: "vip-placement",
            severity: "fail",
            host: h.d.name,
            address: h.d.host,
            interface: h.a.device,
            what: `holds ${ip}/${h.a.prefix} on ${h.a.device} while its agent is ${state ?? "not running it"} for ${v.name}: the VIP is on ${list(names)}, and both answer ARP for it`,
            fix: on(h.d.name, h.d.host, `ip addr del ${ip}/${h.a.prefix} dev ${h.a.device}`),
          });
        }
        if (masters.length > 1)
          f.push({
            examination: "vip-placement",
            severity: "fail",
            host: masters.map((h) => h.d.name).join(","),
            interface: v.interface,
            what: `${list(masters.map((h) => h.d.name))} are all MASTER for ${v.name} and hold ${ip} (split brain): they do not hear each other's VRRP adverts`,
            fix: `let VRRP (IP protocol 112) pass between them: see the vrrp-adverts and firewall-vrrp findings`,
          });
      }
    }
    return result("vip-placement", f, parts.join("; ") || "no VIPs in the file", this.c.spec.vips.length === 0);
  }

  arpSuppression(): ExaminationResult {
    const f: Finding[] = [];
    const ok: string[] = [];
    for (const r of this.c.plan.realServers) {
      const x = this.rObs.get(r.name);
      if (!x?.sysctls) continue;
      const got = x.sysctls;
      const persist = r.resources.map((n) => `/etc/sysctl.d/90-lvs-${n}.conf`).join(", ");
      const keep = `(kept across reboots by ${persist}; or ${redeploy(this.c.file)})`;
      const missing = Object.keys(r.sysctls).filter((k) => got[k] === undefined || got[k] === "missing");
      if (missing.some((k) => k.includes(`.${r.interface.replace(/\./g, "/")}.`))) {
        const i = this.c.spec.realServers.findIndex((s) => s.name === r.name);
        f.push({
          examination: "arp-suppression",
          severity: "fail",
          host: r.name,
          address: r.host,
          interface: r.interface,
          file: `${this.c.file} realServers[${i}].interface`,
          what: `has no interface ${r.interface} (no /proc/sys/net/ipv4/conf/${r.interface}/): the ARP settings cannot be made for the interface facing the directors`,
          fix: `set realServers[${i}].interface in ${this.c.file} to the interface facing the directors, then lvsctl up -f ${this.c.file}`,
        });
        continue;
      }
      let bad = false;
      for (const setting of ["arp_ignore", "arp_announce"]) {
        const want = r.sysctls[confKey(r.interface, setting)];
        if (want === undefined) continue;
        const keys = [confKey("all", setting), confKey(r.interface, setting)];
        const vals = keys.map((k) => Number(got[k]));
        // The kernel uses the higher of conf/all and conf/<interface> for both settings.
        const effective = Math.max(...vals);
        if (effective >= want) continue;
        bad = true;
        const low = keys.filter((_, i) => vals[i]! < want);
        f.push({
          examination: "arp-suppression",
          severity: "fail",
          host: r.name,
          address: r.host,
          interface: r.interface,
          what: `${setting} on ${r.interface} is ${effective} (all=${vals[0]}, ${r.interface}=${vals[1]}), RealServer sets ${want}: ${
            setting === "arp_ignore"
              ? `${r.name} answers ARP for the VIP it holds on lo, so clients may send to it instead of the director`
              : `${r.name} may use the VIP as the source of its ARP requests, teaching the segment its MAC for the VIP`
          }`,
          fix: on(r.name, r.host, `sysctl -w ${low.map((k) => `${k}=${want}`).join(" ")} ${keep}`),
        });
      }
      const drift = Object.entries(r.sysctls).filter(
        ([k, v]) => !missing.includes(k) && Number(got[k]) !== v && !(bad && /arp_(ignore|announce)$/.test(k)),
      );
      for (const [k, v] of drift)
        f.push({
          examination: "arp-suppression",
          severity: "warn",
          host: r.name,
          address: r.host,
          what: `${k} is ${got[k]}, RealServer sets ${v} (no effect on ARP now: the higher of all and ${r.interface} decides)`,
          fix: on(r.name, r.host, `sysctl -w ${k}=${v} ${keep}`),
        });
      if (!bad && drift.length === 0) ok.push(r.name);
    }
    return this.realServersResult("arp-suppression", f, "as RealServer sets them", ok);
  }

  loopbackVip(): ExaminationResult {
    const f: Finding[] = [];
    const ok: string[] = [];
    const vipIps = new Set(this.c.spec.vips.flatMap((v) => v.addresses.map(ipOf)));
    for (const r of this.c.plan.realServers) {
      const x = this.rObs.get(r.name);
      if (!x?.addresses) continue;
      let clean = true;
      const unit = r.resources.map((n) => `lvs-real-server-${n}.service`).join(", ");
      for (const want of r.addresses) {
        const ip = ipOf(want.address);
        const here = x.addresses.find((a) => a.address === ip && a.device === want.device);
        if (!here) {
          clean = false;
          f.push({
            examination: "loopback-vip",
            severity: "fail",
            host: r.name,
            address: r.host,
            interface: want.device,
            what: `${want.address} is not on ${want.device}: ${r.name} drops what the directors forward to it for ${ip} (${want.device === "lo" ? "DR" : "TUN"} keeps the VIP as the destination)`,
            fix: on(
              r.name,
              r.host,
              `ip addr add ${want.address} dev ${want.device} (kept across reboots by ${unit}; or ${redeploy(this.c.file)})`,
            ),
          });
        } else if (here.prefix !== 32) {
          clean = false;
          f.push({
            examination: "loopback-vip",
            severity: "warn",
            host: r.name,
            address: r.host,
            interface: want.device,
            what: `${ip}/${here.prefix} on ${want.device}: RealServer puts /32 there (a wider prefix makes the whole subnet local to ${r.name})`,
            fix: on(
              r.name,
              r.host,
              `ip addr del ${ip}/${here.prefix} dev ${want.device} && ip addr add ${ip}/32 dev ${want.device}`,
            ),
          });
        }
      }
      const wanted = new Set(r.addresses.map((a) => `${ipOf(a.address)} ${a.device}`));
      for (const a of x.addresses.filter((a) => vipIps.has(a.address) && !wanted.has(`${a.address} ${a.device}`))) {
        clean = false;
        f.push({
          examination: "loopback-vip",
          severity: "fail",
          host: r.name,
          address: r.host,
          interface: a.device,
          what: `holds the VIP ${a.address}/${a.prefix} on ${a.device}: it answers ARP for it, taking traffic from the director`,
          fix: on(r.name, r.host, `ip addr del ${a.address}/${a.prefix} dev ${a.device}`),
        });
      }
      if (clean) ok.push(r.name);
    }
    return this.realServersResult("loopback-vip", f, "the VIPs on lo (or tunl0)", ok);
  }

  /** An examination of the prepared real servers: not applicable when the file prepares none. */
  private realServersResult(id: ExaminationId, f: Finding[], what: string, ok: string[]): ExaminationResult {
    const none = this.c.plan.realServers.length === 0;
    return result(id, f, none ? "no DR/TUN real server with a connection in the file" : examined(what, ok, f), none);
  }

  ipForward(): ExaminationResult {
    const f: Finding[] = [];
    const nat = this.c.plan.directors.filter((d) => d.nat.length);
    for (const d of nat) {
      const x = this.reachable(d);
      if (!x?.ipForward || x.ipForward.trim() === "1") continue;
      f.push({
        examination: "ip-forward",
        severity: "fail",
        host: d.name,
        address: d.host,
        file: "/proc/sys/net/ipv4/ip_forward",
        what: `net.ipv4.ip_forward is ${x.ipForward.trim()} but it runs NAT virtual server(s) ${list(d.nat)}: the real servers' replies are not forwarded back to clients`,
        fix: on(
          d.name,
          d.host,
          `sysctl -w net.ipv4.ip_forward=1 (its agent sets it again at each reload: ${d.agent.agentCommand} reload)`,
        ),
      });
    }
    return result(
      "ip-forward",
      f,
      nat.length ? `ip_forward=1 on ${list(nat.map((d) => d.name))} (NAT)` : "no NAT virtual server",
      nat.length === 0,
    );
  }
}

/** Every examination, in the order of the troubleshooting list. */
export function examine(c: Context, o: Observations): ExaminationResult[] {
  const e = new HostExaminations(c, o);
  const v = new VrrpExaminations(c, o);
  const sv = new ServiceExaminations(c, o);
  return [
    e.hosts(),
    e.vipPlacement(),
    e.arpSuppression(),
    e.loopbackVip(),
    v.vrrpAdverts(),
    v.vrrpAgreement(),
    v.foreignVrid(),
    v.firewallVrrp(),
    e.ipForward(),
    sv.realServerDirect(),
    sv.serviceViaVip(),
  ];
}
