// ClusterSpec -> the resources that realise it (pure). Names are resolved here: a VIP's priorities name
// directors, a virtual server names its VIP, a backend names a real server. Every dangling reference
// and duplicate name is reported at once, with its path, before any resource exists.
import type { DirectorArgs } from "../resources/director/schema.ts";
import type { RealServerArgs } from "../resources/real-server/schema.ts";
import type { VipArgs } from "../resources/vip/schema.ts";
import type { VirtualServerArgs } from "../resources/virtual-server/schema.ts";
import { agentAccessOf } from "../resources/director/plan.ts";
import type { ClusterSpec } from "./spec.ts";

export interface PlannedVirtualServer {
  name: string;
  args: Omit<VirtualServerArgs, "realServers">;
  /** names of the RealServer resources whose `backend` forms realServers */
  backends: string[];
}

export interface ClusterPlan {
  directors: { name: string; args: DirectorArgs }[];
  vips: { name: string; args: VipArgs }[];
  realServers: { name: string; args: RealServerArgs }[];
  virtualServers: PlannedVirtualServer[];
}

export type PlanResult = { ok: true; plan: ClusterPlan } | { ok: false; problems: string[] };

function duplicates(kind: string, names: string[]): string[] {
  return names.flatMap((n, i) => (names.indexOf(n) !== i ? [`${kind}[${i}].name: "${n}" is used twice`] : []));
}

function planVips(spec: ClusterSpec, problems: string[]): ClusterPlan["vips"] {
  const directors = new Map(spec.directors.map((d) => [d.name, d]));
  return spec.vips.map((v, i) => {
    const members = Object.entries(v.priorities).flatMap(([name, priority]) => {
      const d = directors.get(name);
      if (!d) problems.push(`vips[${i}].priorities.${name}: no director named "${name}"`);
      // The members reach each director's agent where that Director installs it.
      return d ? [{ connection: d.connection, priority, sourceIp: d.address, ...agentAccessOf(d) }] : [];
    });
    if (Object.keys(v.priorities).length === 0) problems.push(`vips[${i}].priorities: name at least one director`);
    const { priorities: _p, ...rest } = v;
    return { name: v.name, args: { ...rest, directors: members } };
  });
}

function serviceAddress(spec: ClusterSpec, vipName: string): string | undefined {
  return spec.vips.find((v) => v.name === vipName)?.addresses[0]?.split("/")[0];
}

function planServices(
  spec: ClusterSpec,
  vips: ClusterPlan["vips"],
  problems: string[],
): Pick<ClusterPlan, "realServers" | "virtualServers"> {
  const hosts = new Map(spec.realServers.map((r) => [r.name, r]));
  const realServers: ClusterPlan["realServers"] = [];
  const virtualServers = spec.virtualServers.map((vs, i): PlannedVirtualServer => {
    const vip = vips.find((v) => v.name === vs.vip);
    if (!vip) problems.push(`virtualServers[${i}].vip: no vip named "${vs.vip}"`);
    const address = vs.fwmark === undefined ? (vs.address ?? serviceAddress(spec, vs.vip)) : undefined;
    const { vip: _v, backends, ...service } = vs;
    const names = backends.flatMap((b, j) => {
      const host = hosts.get(b.server);
      const first = backends.findIndex((o) => o.server === b.server);
      if (first < j) {
        problems.push(
          `virtualServers[${i}].backends[${j}].server: "${b.server}" is already backends[${first}]: list each real server once per virtual server`,
        );
        return [];
      }
      if (!host) {
        problems.push(`virtualServers[${i}].backends[${j}].server: no real server named "${b.server}"`);
        return [];
      }
      const { server: _s, ...fields } = b;
      const name = `${vs.name}-${b.server}`;
      const forwarding = b.forwarding ?? vs.forwarding;
      realServers.push({
        name,
        args: {
          ...fields,
          name,
          address: host.address,
          forwarding,
          vips: address ? [address] : [],
          interface: host.interface,
          connection: host.connection,
          prepare: host.connection !== undefined,
        },
      });
      return [name];
    });
    const directors =
      vip?.args.directors.map((d) => ({
        ...d.connection,
        configDir: d.configDir,
        agentCommand: d.agentCommand,
        statusSocket: d.statusSocket,
      })) ?? [];
    return { name: vs.name, args: { ...service, address, directors }, backends: names };
  });
  return { realServers, virtualServers };
}

export function planCluster(spec: ClusterSpec): PlanResult {
  const problems = [
    ...duplicates(
      "directors",
      spec.directors.map((d) => d.name),
    ),
    ...duplicates(
      "vips",
      spec.vips.map((v) => v.name),
    ),
    ...duplicates(
      "realServers",
      spec.realServers.map((r) => r.name),
    ),
    ...duplicates(
      "virtualServers",
      spec.virtualServers.map((v) => v.name),
    ),
  ];
  const directors = spec.directors.map((d) => ({
    name: d.name,
    args: {
      connection: d.connection,
      global: d.global,
      sysctls: d.sysctls,
      installDir: d.installDir,
      configDir: d.configDir,
    },
  }));
  const vips = planVips(spec, problems);
  const services = planServices(spec, vips, problems);
  return problems.length ? { ok: false, problems } : { ok: true, plan: { directors, vips, ...services } };
}
