// `npm run bench -- rollout [--sites=N]`: a rollout through N lab sites (3 by default; one user-mode
// Linux director and two namespace real servers each), twice: the first creates every site, the second
// rolls a change (rr -> wrr) through them. For each site: the deployment's time and each gate's (masters,
// health and probe: until they first passed; drift: its preview --refresh). Progress on stderr.
import { makeLabSites, type LabSites } from "../test/engine/lab-sites.ts";
import type { RolloutReport } from "../lvsctl/src/rollout/rollout.ts";

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function lines(label: string, r: RolloutReport): string[] {
  return [
    `rollout ${label}: ${r.ok ? "passed" : `STOPPED at ${r.stopped?.site}`}, ${r.sites.length} sites in ${secs(r.ms)}`,
    ...r.sites.map(
      (s) =>
        `rollout ${label} ${s.name}: deploy ${s.deploy ? secs(s.deploy.ms) : "-"}, ${s.gates.map((g) => `${g.gate} ${secs(g.ms)}${g.ok ? "" : " FAILED"}`).join(", ")}`,
    ),
  ];
}

async function run(s: LabSites): Promise<RolloutReport> {
  const r = await s.lvsctl(["rollout", "-f", s.plan, "--json"], (c) => process.stderr.write(c));
  if (!r.out.trim().startsWith("{")) throw new Error(`lvsctl rollout printed no report (exit ${r.code})`);
  return JSON.parse(r.out) as RolloutReport;
}

export async function benchRollout(sites: number): Promise<string[]> {
  const s = makeLabSites(`bro${process.pid % 1000}x`, sites);
  try {
    const created = await run(s);
    for (const site of s.sites)
      s.edit(site, (f) => ((f.virtualServers as { scheduler: string }[])[0]!.scheduler = "wrr"));
    const changed = await run(s);
    return [...lines("create", created), ...lines("change", changed)];
  } finally {
    s.remove();
  }
}
