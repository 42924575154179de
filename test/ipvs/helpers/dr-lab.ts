// The two-director DR lab the UML failover tests share: client c1 (.50), directors d1 (.11) and d2
// (.12), and real servers rs1 and rs2 (.21, .22) prepared for DR (ARP suppression, the VIP on lo) with
// a web server answering with its name. Inside the guest; impure.
import type { AgentConfigInput } from "../../../agent/src/config/schema.ts";
import { Lab, type Host } from "../../helpers/netns.ts";
import { prepareDrRealServer, startWeb } from "./web.ts";

export interface DrLab {
  lab: Lab;
  client: Host;
  d1: Host;
  d2: Host;
}

export async function createDrLab(net: string, vip: string): Promise<DrLab> {
  const lab = Lab.create([
    { name: "c1", addr: `${net}.50/24` },
    { name: "d1", addr: `${net}.11/24` },
    { name: "d2", addr: `${net}.12/24` },
    { name: "rs1", addr: `${net}.21/24` },
    { name: "rs2", addr: `${net}.22/24` },
  ]);
  for (const name of ["rs1", "rs2"]) {
    prepareDrRealServer(lab.host(name), vip);
    await startWeb(lab.host(name), name);
  }
  return { lab, client: lab.host("c1"), d1: lab.host("d1"), d2: lab.host("d2") };
}

type VirtualServerInput = NonNullable<AgentConfigInput["virtualServers"]>[string];

/** The lab's web service: TCP port 80 on the VIP, rr over the real servers by DR, a 1 s TCP check. */
export function drWebService(vip: string, realServers: readonly string[]): VirtualServerInput {
  return {
    address: vip,
    port: 80,
    scheduler: "rr",
    forwarding: "DR",
    healthCheck: { type: "tcp", interval: 1, fall: 2, rise: 1, retries: 0, connectTimeout: 1 },
    realServers: realServers.map((address) => ({ address })),
  };
}
