// `lvsctl doctor`'s VRRP examinations (pure): adverts heard from the master on every other member
// (vrrp-adverts), VRID/version/interface/auth the same in the file, each director's fragment, its running
// agent and on the wire (vrrp-agreement), no router outside the cluster on its VRID (foreign-vrid), no
// firewall dropping protocol 112 on a director (firewall-vrrp). Each finding names host and fix.
import { isDeepStrictEqual } from "node:util";
import type { AdvertSender } from "../../../agent/src/vrrp/adverts.ts";
import { firewallProblems } from "./firewall.ts";
import type { ExaminationResult, Finding } from "./observations.ts";
import type { DirectorPlan } from "./plan.ts";
import { advertsOf, at, instanceOf, ipOf, list, on, redeploy, result, statusOf, View, type Vip } from "./view.ts";

/** The VIP's instance in a fragment's text, and how its VRID, version, interface and auth differ from the file. */
function fragmentDiff(v: Vip, text: string | undefined): { inst?: Record<string, unknown>; diff: string[] } {
  let inst: Record<string, unknown> | undefined;
  try {
    inst = text
      ? (JSON.parse(text) as { instances?: Record<string, Record<string, unknown>> }).instances?.[v.name]
      : undefined;
  } catch {
    inst = undefined;
  }
  if (!inst) return { diff: [] };
  const wanted = { vrid: v.vrid, version: v.version, interface: v.interface };
  const diff = Object.entries(wanted)
    .filter(([k, want]) => inst[k] !== want)
    .map(([k, want]) => `${k} ${JSON.stringify(inst[k])} (the file: ${JSON.stringify(want)})`);
  if (!isDeepStrictEqual(inst.auth ?? null, v.auth ?? null)) {
    const a = inst.auth as { type?: string } | undefined;
    // Never a password: only whether it differs.
    diff.push(
      a?.type !== v.auth?.type
        ? `auth ${a?.type ?? "none"} (the file: ${v.auth?.type ?? "none"})`
        : "auth with another password than the file's",
    );
  }
  return { inst, diff };
}

export class VrrpExaminations extends View {
  vrrpAdverts(): ExaminationResult {
    const f: Finding[] = [];
    const parts: string[] = [];
    for (const d of this.c.plan.directors) {
      const x = this.reachable(d);
      if (x?.adverts && "error" in x.adverts)
        f.push({
          examination: "vrrp-adverts",
          severity: "warn",
          host: d.name,
          address: d.host,
          what: `cannot listen for adverts: ${x.adverts.error}`,
          fix: `upgrade the agent on ${d.name} to one that has \`lvs-agent adverts\` (the agent of this lvsctl)`,
        });
    }
    for (const v of this.c.spec.vips) {
      const members = this.members(v);
      const masters = members.filter((d) => instanceOf(this.dObs.get(d.name), v.name)?.state === "MASTER");
      for (const d of members) {
        const rep = advertsOf(this.reachable(d));
        if (!rep) continue;
        const fromPeers = rep.senders.filter(
          (s) => s.interface === v.interface && s.vrid === v.vrid && s.src !== d.address,
        );
        const heardNames = fromPeers.map((s) => {
          const p = this.directorAt(s.src);
          return `${p?.name ?? s.src} (priority ${s.priority}, v${s.version}, ${s.count} in ${rep.seconds} s)`;
        });
        const role = instanceOf(this.dObs.get(d.name), v.name)?.state ?? "?";
        parts.push(`${d.name} (${role}) hears ${heardNames.length ? heardNames.join(", ") : "no other director"}`);
        for (const m of masters.filter((m) => m.name !== d.name)) {
          if (fromPeers.some((s) => s.src === m.address)) continue;
          // A master running another VRID or version is vrrp-agreement's finding, not a deaf peer.
          const mi = instanceOf(this.dObs.get(m.name), v.name);
          if (mi && (mi.vrid !== v.vrid || mi.version !== v.version || mi.interface !== v.interface)) continue;
          const both = role === "MASTER";
          f.push({
            examination: "vrrp-adverts",
            severity: "fail",
            host: d.name,
            address: d.host,
            interface: v.interface,
            what: `heard no VRRP adverts from ${at(m.name, m.address)}, MASTER for ${v.name} (VRID ${v.vrid}), on ${v.interface} in ${rep.seconds} s${
              both ? `: ${d.name} is MASTER too (split brain)` : ""
            }`,
            fix: `let IP protocol 112 from ${m.address} in on ${d.name} (see firewall-vrrp), then check: ${on(
              d.name,
              d.host,
              `tcpdump -ni ${v.interface} ip proto 112`,
            )}${v.unicast ? "" : `; where the network drops multicast (224.0.0.18), set unicast: true in ${this.c.file} ${this.vipPath(v)}`}`,
          });
        }
      }
    }
    return result("vrrp-adverts", f, parts.join("; ") || "nothing heard", this.c.spec.vips.length === 0);
  }

  vrrpAgreement(): ExaminationResult {
    const f: Finding[] = [];
    const fail = (d: DirectorPlan, what: string, fix: string, extra: Partial<Finding> = {}) =>
      f.push({ examination: "vrrp-agreement", severity: "fail", host: d.name, address: d.host, what, fix, ...extra });
    for (const v of this.c.spec.vips) {
      const wanted = { vrid: v.vrid, version: v.version, interface: v.interface };
      for (const d of this.members(v)) {
        const x = this.reachable(d);
        if (!x) continue;
        const path = d.fragments[v.name]!;
        // The fragment as the file would have it (the provider writes it).
        const frag = x.fragments?.[v.name];
        const { inst: fragInst, diff: fragDiff } = fragmentDiff(v, frag?.text);
        if (!fragInst)
          fail(
            d,
            `its fragment ${path} ${frag?.text === undefined ? "cannot be read" : "holds no instance " + v.name}${frag?.error ? `: ${frag.error}` : ""}`,
            `write it as the file says and reload the agent: ${redeploy(this.c.file)}`,
            { file: path },
          );
        else if (fragDiff.length)
          fail(
            d,
            `its fragment ${path} has ${fragDiff.join(", ")}: it is not the same virtual router as the others`,
            `write the file's values back and reload the agent: ${redeploy(this.c.file)}`,
            { file: path, interface: v.interface },
          );
        const inst = instanceOf(x, v.name);
        if (statusOf(x) && !inst)
          fail(
            d,
            `its agent runs no instance ${v.name}`,
            `reload it: ${on(d.name, d.host, `${d.agent.agentCommand} reload`)}`,
          );
        if (inst) {
          const runDiff = Object.entries(wanted)
            .filter(([k, want]) => inst[k as keyof typeof wanted] !== want)
            .map(
              ([k, want]) =>
                `${k} ${JSON.stringify(inst[k as keyof typeof wanted])} (the file: ${JSON.stringify(want)})`,
            );
          if (runDiff.length && fragDiff.length === 0 && fragInst)
            fail(
              d,
              `its agent runs ${v.name} with ${runDiff.join(", ")} though its fragment agrees with the file: not reloaded`,
              `reload it: ${on(d.name, d.host, `${d.agent.agentCommand} reload`)}`,
              { interface: v.interface },
            );
          else if (runDiff.length && fragDiff.length === 0)
            fail(d, `its agent runs ${v.name} with ${runDiff.join(", ")}`, redeploy(this.c.file), {
              interface: v.interface,
            });
        }
        const own = x.addresses?.find((a) => a.address === d.address);
        if (x.addresses && !own)
          fail(
            d,
            `does not have its address ${d.address} (directors[].address) on any interface`,
            `set directors[${this.c.spec.directors.findIndex((s) => s.name === d.name)}].address in ${this.c.file} to its address on ${v.interface}`,
          );
        else if (own && own.device !== v.interface)
          fail(
            d,
            `its address ${d.address} is on ${own.device}, but ${this.vipPath(v)}.interface is ${v.interface}`,
            `set ${this.vipPath(v)}.interface in ${this.c.file} to the interface the directors share (${own.device}?), then lvsctl up -f ${this.c.file}`,
            { interface: own.device },
          );
      }
      // What the wire says: a member advertising this VIP's addresses with another VRID or version.
      for (const { by, s } of this.heard()) {
        const from = this.directorAt(s.src);
        if (!from || !from.vips.includes(v.name) || s.interface !== v.interface) continue;
        const same = s.addresses.some((a) => v.addresses.map(ipOf).includes(a));
        if (!same || (s.vrid === v.vrid && s.version === v.version)) continue;
        f.push({
          examination: "vrrp-agreement",
          severity: "fail",
          host: from.name,
          address: from.host,
          interface: s.interface,
          what: `${by.name} hears ${from.name} advertise ${s.addresses.join(",")} with VRID ${s.vrid} v${s.version} (the file: VRID ${v.vrid} v${v.version})`,
          fix: `put ${from.name}'s instance back as the file says: ${redeploy(this.c.file)}`,
        });
      }
    }
    const summary = this.c.spec.vips
      .map(
        (v) =>
          `${v.name}: VRID ${v.vrid} v${v.version} ${v.auth ? `auth ${v.auth.type}` : "no auth"} on ${v.interface} (${list(this.members(v).map((d) => d.name))})`,
      )
      .join("; ");
    return result("vrrp-agreement", dedupe(f), summary || "no VIPs in the file", this.c.spec.vips.length === 0);
  }

  foreignVrid(): ExaminationResult {
    const f: Finding[] = [];
    const ours = new Set(this.c.plan.directors.map((d) => d.address));
    const foreign = this.heard().filter(({ s }) => !ours.has(s.src));
    const used = new Set([...this.heard().map(({ s }) => s.vrid), ...this.c.spec.vips.map((v) => v.vrid)]);
    const others: string[] = [];
    const bySender = new Map<string, { s: AdvertSender; by: string[] }>();
    for (const { by, s } of foreign) {
      const key = `${s.src} ${s.vrid} ${s.interface}`;
      const e = bySender.get(key) ?? { s, by: [] };
      e.by.push(by.name);
      bySender.set(key, e);
    }
    for (const { s, by } of bySender.values()) {
      const v = this.c.spec.vips.find((x) => x.vrid === s.vrid && x.interface === s.interface);
      if (!v) {
        others.push(`${s.src} VRID ${s.vrid}`);
        continue;
      }
      const free = freeVrid(used, v.vrid);
      f.push({
        examination: "foreign-vrid",
        severity: "fail",
        host: by.join(","),
        interface: s.interface,
        file: `${this.c.file} ${this.vipPath(v)}.vrid`,
        what: `${s.src}, not a director of this cluster, advertises VRID ${s.vrid} (v${s.version}, priority ${s.priority}) on ${s.interface}, heard by ${list(by)}: the VRID of ${v.name}; the two routers fight over the VRID (and its virtual MAC)`,
        fix: `give one of them another VRID: set ${this.vipPath(v)}.vrid: ${free} in ${this.c.file} (no advert used it) and lvsctl up -f ${this.c.file}, or change the router at ${s.src}`,
      });
    }
    const listened = this.c.plan.directors.filter((d) => advertsOf(this.dObs.get(d.name))).map((d) => d.name);
    const summary = listened.length
      ? `no other router uses ${list(this.c.spec.vips.map((v) => `VRID ${v.vrid}`))} (listened on ${list(listened)})${others.length ? `; other routers: ${others.join(", ")}` : ""}`
      : "no director could listen";
    return result("foreign-vrid", f, summary, listened.length === 0 && f.length === 0);
  }

  firewallVrrp(): ExaminationResult {
    const f: Finding[] = [];
    const read: string[] = [];
    for (const d of this.c.plan.directors) {
      const x = this.reachable(d);
      if (!x?.firewall) continue;
      const r = firewallProblems(x.firewall, d.interfaces);
      if (r.read.length === 0) {
        f.push({
          examination: "firewall-vrrp",
          severity: "warn",
          host: d.name,
          address: d.host,
          what: "neither nft nor iptables-save could be read: its firewall is not examined",
          fix: on(d.name, d.host, "nft list ruleset; iptables-save (as root)"),
        });
        continue;
      }
      read.push(`${d.name}: ${r.read.join(", ")}`);
      for (const p of r.problems)
        f.push({
          examination: "firewall-vrrp",
          severity: "fail",
          host: d.name,
          address: d.host,
          interface: d.interfaces.join(","),
          file: `${p.tool} ${p.chain}`,
          what: `${p.what}: the agent never hears its peers, and becomes MASTER beside them`,
          fix: on(d.name, d.host, p.fix),
        });
    }
    return result("firewall-vrrp", f, `no rule drops VRRP (read ${read.join("; ") || "nothing"})`);
  }
}

/** The same finding reached twice (two directors hearing one wrong advert) is reported once. */
function dedupe(f: Finding[]): Finding[] {
  const seen = new Set<string>();
  return f.filter((x) => {
    const k = `${x.host} ${x.what.replace(/^\S+ hears /, "")} ${x.fix}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A VRID no advert used and no VIP of the file has, after `from` (wrapping at 255). */
export function freeVrid(used: Set<number>, from: number): number {
  for (let i = 1; i < 255; i++) {
    const v = ((from - 1 + i) % 255) + 1;
    if (!used.has(v)) return v;
  }
  return from;
}
