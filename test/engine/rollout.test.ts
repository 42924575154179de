// `lvsctl rollout` across two lab sites (one user-mode Linux director and two namespace real servers
// each) through the real Pulumi CLI: the first rollout creates both sites and every gate passes; a good
// change (rr -> wrr) rolls through both; a change that breaks the canary (a real server's health check on
// a port nothing listens on) fails the canary's health gate, stops before the second site, and with
// --rollback puts the canary back to its deployment before the rollout, whose gates pass again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { labSkip as skip } from "./lab-cli.ts";
import { makeLabSites, type LabSites } from "./lab-sites.ts";
import type { RolloutReport } from "../../lvsctl/src/rollout/rollout.ts";
import type { ClusterView } from "../../lvsctl/src/cluster/status-view.ts";

const PREFIX = `r${process.pid % 100_000}x`;

async function rollout(s: LabSites, ...extra: string[]): Promise<{ code: number; report: RolloutReport; err: string }> {
  const r = await s.lvsctl(["rollout", "-f", s.plan, "--json", ...extra]);
  assert.ok(r.out.trim().startsWith("{"), `no JSON report (exit ${r.code}):\n${r.err.slice(-4000)}`);
  return { code: r.code, report: JSON.parse(r.out) as RolloutReport, err: r.err };
}

const outcomes = (r: RolloutReport) => r.sites.map((x) => `${x.name} ${x.outcome}`);
const gatesOf = (r: RolloutReport, site: string) =>
  r.sites.find((x) => x.name === site)!.gates.map((g) => `${g.gate} ${g.ok ? "ok" : "FAILED"}`);

test(
  "a rollout through two lab sites: all pass, a good change, a broken canary stopped and rolled back",
  { skip, timeout: 2_400_000 },
  async () => {
    const s = makeLabSites(PREFIX, 2, { gates: { waitSeconds: 25 } });
    try {
      const [one, two] = s.sites;

      // 1. the first rollout creates both sites; every gate of each passes
      const first = await rollout(s);
      assert.equal(first.code, 0, first.err.slice(-4000));
      assert.deepEqual(outcomes(first.report), ["site-1 deployed", "site-2 deployed"]);
      for (const site of ["site-1", "site-2"])
        assert.deepEqual(gatesOf(first.report, site), ["masters ok", "health ok", "probe ok", "drift ok"]);
      assert.match(first.err, /^== wave 0 \(canary\): site-1$/m, "progress per wave");
      assert.match(first.err, /^site-2: gate probe +ok +10\.\S+:80 HTTP 200/m, "progress per gate");

      // 2. a good change (rr -> wrr) goes through both sites, this time by the SDK's rollout() as a
      // pipeline of its own calls it (examples/multi-site/rollout.ts)
      for (const site of [one!, two!])
        s.edit(site, (f) => ((f.virtualServers as { scheduler: string }[])[0]!.scheduler = "wrr"));
      const byLibrary = await s.script("examples/multi-site/rollout.ts", [s.plan, "--json"]);
      assert.equal(byLibrary.code, 0, byLibrary.err.slice(-4000));
      const good = { report: JSON.parse(byLibrary.out) as RolloutReport };
      assert.match(byLibrary.err, /^site-2: gate drift ok: no changes$/m);
      assert.deepEqual(outcomes(good.report), ["site-1 deployed", "site-2 deployed"]);
      for (const x of good.report.sites) assert.equal(x.deploy!.changes.update, 1, `${x.name}: one resource updated`);

      // 3. a change that breaks the canary: rs1's health check on a port nothing listens on
      for (const site of [one!, two!])
        s.edit(site, (f) => {
          const backends = (f.virtualServers as { backends: Record<string, unknown>[] }[])[0]!.backends;
          backends[0]!.healthCheck = { type: "tcp", port: 81, interval: 1, connectTimeout: 1, retries: 1 };
        });
      const bad = await rollout(s, "--rollback");
      assert.equal(bad.code, 1, bad.err.slice(-4000));
      assert.deepEqual(outcomes(bad.report), ["site-1 rolled back", "site-2 not started"]);
      assert.equal(bad.report.stopped?.site, "site-1");
      assert.equal(bad.report.stopped?.at, "health");
      assert.match(bad.report.stopped!.detail, new RegExp(`${one!.t.net.replace(/\./g, "\\.")}\\.21:80 (down|absent)`));
      const canary = bad.report.sites[0]!;
      assert.deepEqual(
        canary.rollback!.gates.map((g) => `${g.gate} ${g.ok ? "ok" : "FAILED"}`),
        ["masters ok", "health ok", "probe ok", "drift ok"],
        "after the rollback the canary passes every gate again",
      );

      // the canary runs its deployment from before the rollout (both real servers up); site-2 was never touched
      const status = await s.lvsctl(["status", "-f", one!.file, "--json"]);
      const view = JSON.parse(status.out) as ClusterView;
      assert.deepEqual(
        view.virtualServers[0]!.realServers.map((r) => r.health),
        ["up", "up"],
      );
      const pending = await s.lvsctl(["preview", "-f", two!.file]);
      assert.equal(pending.code, 2, "site-2 still runs the good change: the broken one is pending there");
    } finally {
      s.remove();
    }
  },
);
