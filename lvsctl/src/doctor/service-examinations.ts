// `lvsctl doctor`'s service examinations (pure): each real server answers its health check when the
// directors run it themselves, now (real-server-direct, from `lvs-agent probe` on each director, beside
// the agents' own view of its health), and each virtual server answers through its VIP from where lvsctl
// runs (service-via-vip). Each finding names the host and the fix.
import type { ExaminationResult, Finding } from "./observations.ts";
import { list, result, statusOf, View } from "./view.ts";

export class ServiceExaminations extends View {
  realServerDirect(): ExaminationResult {
    const f: Finding[] = [];
    const byCheck = new Map<
      string,
      { address: string; port: number; type: string; bad: string[]; good: string[]; detail: string }
    >();
    for (const d of this.c.plan.directors.filter((x) => x.runsServices)) {
      const x = this.reachable(d);
      if (!x?.probes) continue;
      if ("error" in x.probes) {
        f.push({
          examination: "real-server-direct",
          severity: "warn",
          host: d.name,
          address: d.host,
          what: `its agent could not run the health checks: ${x.probes.error}`,
          fix: `upgrade the agent on ${d.name} to one that has \`lvs-agent probe\` (the agent of this lvsctl)`,
        });
        continue;
      }
      for (const p of x.probes) {
        const e = byCheck.get(p.check) ?? {
          address: p.address,
          port: p.port,
          type: p.type,
          bad: [],
          good: [],
          detail: "",
        };
        if (p.ok) e.good.push(d.name);
        else {
          e.bad.push(d.name);
          e.detail = p.detail;
        }
        byCheck.set(p.check, e);
      }
    }
    const up: string[] = [];
    for (const [check, e] of byCheck) {
      const rs = this.c.spec.realServers.find((r) => r.address === e.address);
      const name = rs?.name ?? e.address;
      if (e.bad.length === 0) {
        up.push(`${name}:${e.port}`);
        continue;
      }
      const markedDown = this.c.plan.directors.filter((d) =>
        statusOf(this.dObs.get(d.name))?.virtualServers?.some((vs) =>
          vs.dests.some((x) => x.address === e.address && x.port === e.port && x.health === "down"),
        ),
      );
      const refused = /ECONNREFUSED|refused/i.test(e.detail);
      f.push({
        examination: "real-server-direct",
        severity: "fail",
        host: name,
        address: e.address,
        what: `${e.address}:${e.port} fails its ${e.type} health check (${check}) from ${list(e.bad)}: ${e.detail}${
          markedDown.length
            ? `; the agents on ${list(markedDown.map((d) => d.name))} mark it down, so it gets no new connections`
            : ""
        }`,
        fix: refused
          ? `start the service that listens on port ${e.port} on ${name} (${e.address}): nothing accepts connections there`
          : `make ${name} (${e.address}) answer on port ${e.port} from the directors: the service up, no firewall dropping it, a route back to ${list(e.bad)}`,
      });
    }
    const none = byCheck.size === 0 && f.length === 0;
    return result(
      "real-server-direct",
      f,
      none ? "no health checks to run" : `answer from the directors: ${list(up)}`,
      none,
    );
  }

  serviceViaVip(): ExaminationResult {
    const f: Finding[] = [];
    const ok: string[] = [];
    for (const p of this.o.services) {
      const failed = p.attempts.filter((a) => !a.ok);
      if (failed.length === 0) {
        ok.push(`${p.target} (${p.virtualServer}, ${p.attempts.length}/${p.attempts.length})`);
        continue;
      }
      f.push({
        examination: "service-via-vip",
        severity: "fail",
        address: p.target,
        what: `${failed.length} of ${p.attempts.length} requests to ${p.target} (${p.virtualServer}) from here failed: ${[...new Set(failed.map((a) => a.detail))].join(", ")}`,
        fix: `put right the findings above for its VIP and real servers; if there are none, this machine may not reach ${p.target} (a route or firewall between), or, on the VIP's segment, may keep an ARP entry for it pointing at a director that no longer holds it: here, ip neigh del ${p.target.split(":")[0]} dev <interface> (or wait for it to expire)`,
      });
    }
    const none = this.o.services.length === 0;
    return result(
      "service-via-vip",
      f,
      none
        ? "no TCP virtual server to request"
        : ok.length
          ? `answered through the VIP: ${ok.join(", ")}`
          : "no virtual server answered through its VIP",
      none,
    );
  }
}
