// Bad virtual servers for a reload, shared by the guest test (test/ipvs/agent-reload.uml.ts: the real
// agent over real IPVS) and the host test (test/agent/bad-virtual-servers.test.ts: `lvs-agent validate`,
// where the cases that need no kernel are checked one by one, quickly).
import type { AgentConfigInput } from "../../../agent/src/config/schema.ts";

export const NET = "10.36.0";
export const VIP = `${NET}.100`;
export const RS1 = `${NET}.21`;

export type VirtualServers = NonNullable<AgentConfigInput["virtualServers"]>;

/**
 * Each bad fragment, the virtual server it adds and what the rejection must say about it. `kernel`:
 * found by asking the kernel, which the agent does only for a config that is otherwise valid.
 */
export const BAD: { what: string; vss: VirtualServers; says: string[]; kernel?: boolean }[] = [
  {
    what: "a duplicate service",
    vss: { web2: { address: VIP, port: 80, realServers: [{ address: RS1 }] } },
    says: ["virtualServers.web2", `${VIP}:80 is the same service as virtualServers.web`],
  },
  {
    what: "a scheduler the kernel lacks",
    vss: { odd: { address: VIP, port: 8443, scheduler: "nosuch", realServers: [{ address: RS1 }] } },
    says: ["virtualServers.odd.scheduler", '"nosuch"'],
    kernel: true,
  },
  {
    what: "a weight out of range",
    vss: { heavy: { address: VIP, port: 8080, realServers: [{ address: RS1, weight: 70000 }] } },
    says: ["virtualServers.heavy.realServers[0].weight"],
  },
  {
    what: "an IPv6 virtual server with an IPv4 real server",
    vss: { v6: { address: "2001:db8::1", port: 80, realServers: [{ address: RS1 }] } },
    says: ["virtualServers.v6.realServers[0].address", "is IPv4 but the virtual server's 2001:db8::1 is IPv6"],
  },
];

/** The running config the bad fragments are added to. */
export const BASE: VirtualServers = {
  web: { address: VIP, port: 80, scheduler: "wrr", realServers: [{ address: RS1, weight: 2 }] },
  dns: { address: VIP, port: 53, protocol: "UDP", scheduler: "sh", realServers: [{ address: RS1 }] },
};
