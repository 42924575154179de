// `lvsctl doctor`: what the cluster file says each host should be, in the terms the examinations need
// (pure). Directors: their agent, the VIPs they are members of and on which interfaces, their fragments'
// paths, the NAT virtual servers they run. Real servers with a connection, forwarded to by DR or TUN:
// exactly the ARP sysctls and loopback (or tunl0) addresses the RealServer resource sets (its planner).
import { posix } from "node:path";
import { planCluster } from "../../../provider/src/cluster/plan.ts";
import type { ClusterSpec } from "../../../provider/src/cluster/spec.ts";
import { agentAccessOf } from "../../../provider/src/resources/director/plan.ts";
import { fragmentPath } from "../../../provider/src/resources/fragment/files.ts";
import type { AgentAccess } from "../../../provider/src/resources/fragment/plan.ts";
import { planRealServer } from "../../../provider/src/resources/real-server/plan.ts";
import { RealServerInputs } from "../../../provider/src/resources/real-server/schema.ts";

export interface DirectorPlan {
  name: string;
  host: string;
  address: string;
  agent: AgentAccess;
  /** names of the VIPs it is a member of */
  vips: string[];
  /** their interfaces, each once */
  interfaces: string[];
  /** VIP name -> its fragment's path here */
  fragments: Record<string, string>;
  /** names of the NAT virtual servers it runs */
  nat: string[];
  /** whether it runs any virtual server (its agent health-checks real servers) */
  runsServices: boolean;
}

export interface RealServerPlan {
  name: string;
  host: string;
  address: string;
  /** the interface facing the directors */
  interface: string;
  /** what RealServer sets: key -> value (arp_ignore, arp_announce; rp_filter for TUN) */
  sysctls: Record<string, number>;
  /** VIPs it holds: address/32 on lo (DR) or tunl0 (TUN) */
  addresses: Array<{ address: string; device: string }>;
  /** the RealServer resources behind it: their persistence files, for the fixes */
  resources: string[];
}

export interface DoctorPlan {
  directors: DirectorPlan[];
  realServers: RealServerPlan[];
  /** real servers not examined on their host, with why */
  notExamined: Array<{ name: string; why: string }>;
  /** seconds to listen for adverts: three of the slowest interval, at least 2 */
  listenSeconds: number;
}

export function doctorPlan(spec: ClusterSpec): DoctorPlan {
  const planned = planCluster(spec);
  const plan = planned.ok ? planned.plan : undefined;
  const directors = spec.directors.map((d): DirectorPlan => {
    const agent = agentAccessOf(d);
    const vips = spec.vips.filter((v) => d.name in v.priorities);
    const services = spec.virtualServers.filter((vs) => vips.some((v) => v.name === vs.vip));
    return {
      name: d.name,
      host: d.connection.host,
      address: d.address,
      agent,
      vips: vips.map((v) => v.name),
      interfaces: [...new Set(vips.map((v) => v.interface))],
      fragments: Object.fromEntries(
        vips.map((v) => [v.name, posix.join(agent.configDir, posix.basename(fragmentPath("vip", v.name)))]),
      ),
      nat: services
        .filter((vs) => vs.forwarding === "NAT" || vs.backends.some((b) => b.forwarding === "NAT"))
        .map((vs) => vs.name),
      runsServices: services.length > 0,
    };
  });
  const realServers: RealServerPlan[] = [];
  const notExamined: DoctorPlan["notExamined"] = [];
  for (const r of spec.realServers) {
    const resources = (plan?.realServers ?? []).filter((p) => p.args.address === r.address);
    if (!r.connection) {
      notExamined.push({ name: r.name, why: "no connection in the file" });
      continue;
    }
    const sysctls: Record<string, number> = {};
    const addresses = new Map<string, { address: string; device: string }>();
    for (const p of resources) {
      const rp = planRealServer(RealServerInputs.parse(p.args));
      Object.assign(sysctls, rp.sysctls);
      for (const a of rp.addresses) addresses.set(`${a.address} ${a.device}`, a);
    }
    if (Object.keys(sysctls).length === 0) {
      notExamined.push({ name: r.name, why: "forwarded to by NAT only (nothing to prepare)" });
      continue;
    }
    realServers.push({
      name: r.name,
      host: r.connection.host,
      address: r.address,
      interface: r.interface ?? "eth0",
      sysctls,
      addresses: [...addresses.values()],
      resources: resources.map((p) => p.name),
    });
  }
  const slowest = Math.max(0, ...spec.vips.map((v) => v.advertInterval ?? 1));
  return { directors, realServers, notExamined, listenSeconds: Math.min(10, Math.max(2, 3 * slowest)) };
}
