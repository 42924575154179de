// `lvsctl doctor`'s collectors (thin I/O shell): each host over SSH with the cluster file's connections
// (the provider's SessionPool, all hosts at once), one script per host (scripts.ts) and, on directors,
// `lvs-agent adverts` listening beside it; then requests through each VIP from this machine
// (rollout/probe.ts). A host that cannot be reached is recorded as such; nothing here judges.
import type { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import { SessionPool, type Remote } from "../../../provider/src/host/executor.ts";
import { parseStatus } from "../../../provider/src/resources/fragment/plan.ts";
import type { AdvertsReport } from "../../../agent/src/vrrp/adverts.ts";
import { probeServices } from "../rollout/probe.ts";
import type {
  Captured,
  DirectorObservation,
  Observations,
  RealServerObservation,
  ServiceProbe,
} from "./observations.ts";
import type { DirectorPlan, DoctorPlan, RealServerPlan } from "./plan.ts";
import {
  advertsCommand,
  directorScript,
  parseIpAddr,
  parseKeyValues,
  parseProbes,
  parseSections,
  realServerScript,
} from "./scripts.ts";

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** What a failed command said: the agent's own "lvs-agent: ..." line when there is one, else its first line. */
function firstLine(c: { out: string; err: string; rc: number }): string {
  const lines = `${c.err}\n${c.out}`
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const said = lines.find((l) => l.startsWith("lvs-agent: ")) ?? lines[0] ?? "no output";
  return `${said.slice(0, 200)} (exit ${c.rc})`;
}

async function listen(ssh: Remote, d: DirectorPlan, seconds: number): Promise<AdvertsReport | { error: string }> {
  try {
    const r = await ssh.exec(advertsCommand(d.agent, d.interfaces, seconds), { timeout: seconds + 60 });
    if (r.code !== 0) return { error: `lvs-agent adverts: ${firstLine({ out: r.stdout, err: r.stderr, rc: r.code })}` };
    return JSON.parse(r.stdout) as AdvertsReport;
  } catch (err) {
    return { error: `lvs-agent adverts: ${reason(err)}` };
  }
}

async function director(
  pool: SessionPool,
  conn: ClusterSpec["directors"][number]["connection"],
  d: DirectorPlan,
  seconds: number,
): Promise<DirectorObservation> {
  const base = { name: d.name, host: d.host, address: d.address };
  let ssh: Remote;
  try {
    ssh = await pool.get(conn);
  } catch (err) {
    return { ...base, unreachable: reason(err) };
  }
  const script = directorScript({ agent: d.agent, fragments: d.fragments, probe: d.runsServices });
  const [facts, adverts] = await Promise.all([
    ssh.exec(script, { timeout: 90 }).catch((err: unknown) => ({ code: -1, stdout: "", stderr: reason(err) })),
    d.interfaces.length ? listen(ssh, d, seconds) : Promise.resolve(undefined),
  ]);
  const s = parseSections(facts.stdout);
  if (!s.addr)
    return {
      ...base,
      unreachable: `the examination script did not run: ${facts.stderr.trim() || `exit ${facts.code}`}`,
    };
  const status = s.status?.rc === 0 ? parseStatus(s.status.out) : firstLine(s.status ?? { out: "", err: "", rc: -1 });
  const fragments = Object.fromEntries(
    Object.entries(d.fragments).map(([vip, path]) => {
      const c: Captured | undefined = s[`fragment:${vip}`];
      return [vip, c?.rc === 0 ? { path, text: c.out } : { path, error: c ? firstLine(c) : "not read" }];
    }),
  );
  return {
    ...base,
    addresses: parseIpAddr(s.addr.out),
    ipForward: s.ip_forward?.out.trim(),
    firewall: { nft: s.nft, iptables: s.iptables, iptablesLegacy: s["iptables-legacy"] },
    agent: typeof status === "string" ? { error: status } : status,
    fragments,
    ...(adverts ? { adverts } : {}),
    ...(s.probe ? { probes: parseProbes(s.probe) } : {}),
  };
}

async function realServer(pool: SessionPool, spec: ClusterSpec, r: RealServerPlan): Promise<RealServerObservation> {
  const base = { name: r.name, host: r.host, address: r.address };
  const conn = spec.realServers.find((x) => x.name === r.name)!.connection!;
  try {
    const ssh = await pool.get(conn);
    const out = await ssh.exec(realServerScript(Object.keys(r.sysctls)), { timeout: 30 });
    const s = parseSections(out.stdout);
    if (!s.addr)
      return { ...base, unreachable: `the examination script did not run: ${out.stderr.trim() || `exit ${out.code}`}` };
    return { ...base, addresses: parseIpAddr(s.addr.out), sysctls: parseKeyValues(s.sysctl?.out ?? "") };
  } catch (err) {
    return { ...base, unreachable: reason(err) };
  }
}

/** Requests through every TCP virtual server, from here: twice as many as it has backends (at least 2). */
async function services(spec: ClusterSpec): Promise<ServiceProbe[]> {
  const n = Math.max(2, ...spec.virtualServers.map((vs) => 2 * vs.backends.length));
  const out = new Map<string, ServiceProbe>();
  for (let i = 0; i < n; i++) {
    for (const a of await probeServices(spec, 2000)) {
      const e = out.get(a.target) ?? { virtualServer: nameOf(spec, a.target), target: a.target, attempts: [] };
      e.attempts.push({ ok: a.ok, detail: a.detail });
      out.set(a.target, e);
    }
  }
  return [...out.values()];
}

function nameOf(spec: ClusterSpec, target: string): string {
  const [address, port] = target.split(":");
  const vs = spec.virtualServers.find(
    (v) =>
      String(v.port) === port &&
      (v.address ?? spec.vips.find((x) => x.name === v.vip)?.addresses[0]?.split("/")[0]) === address,
  );
  return vs?.name ?? target;
}

export async function collect(spec: ClusterSpec, plan: DoctorPlan): Promise<Observations> {
  const pool = new SessionPool();
  try {
    const [directors, realServers, probes] = await Promise.all([
      Promise.all(
        plan.directors.map((d) =>
          director(pool, spec.directors.find((x) => x.name === d.name)!.connection, d, plan.listenSeconds),
        ),
      ),
      Promise.all(plan.realServers.map((r) => realServer(pool, spec, r))),
      services(spec),
    ]);
    return { directors, realServers, services: probes };
  } finally {
    await pool.closeAll();
  }
}
