// Seed 002 (/work/shared/seeds/002_cf3f633ff577ccc4.txt, "#Keepalived", its keepalived.conf blocks): LVS
// Node1 192.168.28.101 (priority 100) and Node2 192.168.28.102 (the same config at 90, as the seed says)
// hold VIP 192.168.12.211 on eth0 by multicast VRRPv2 (VRID 51, advert 1 s, PASS auth, router_id
// LVS_DEVEL) and balance TCP 192.168.12.211:80 wrr, DR, persistent 50 s, over the nginx hosts
// 192.168.28.103 and .104 (weight 1), each checked by a TCP connect to port 80 every 1 s (timeout 3 s,
// 3 retries 3 s apart).
// Adapted: the seed's global_defs sets vrrp_strict, which lvs-agent refuses (strict mode drops traffic to
// a non-owner master's VIPs and ignores authentication); this is the seed without it. The seed's
// environment lists the VIP as 192.168.28.211, its keepalived.conf and ipvsadm output as 192.168.12.211:
// the config's is used. The seed does not prepare the real servers; DR needs it, so they are prepared.
import { Cluster } from "../../sdk/cluster.ts";
import { director, realServer } from "./hosts.ts";

const global = { routerId: "LVS_DEVEL" };

export const cluster = new Cluster("seed-002", {
  directors: [
    { ...director("node1", "192.168.28.101"), global },
    { ...director("node2", "192.168.28.102"), global },
  ],
  vips: [
    {
      name: "VI_1",
      interface: "eth0",
      vrid: 51,
      version: 2,
      advertInterval: 1,
      addresses: ["192.168.12.211"],
      priorities: { node1: 100, node2: 90 },
      auth: { type: "PASS", password: "123456" },
    },
  ],
  realServers: [realServer("http1", "192.168.28.103"), realServer("http2", "192.168.28.104")],
  virtualServers: [
    {
      name: "http",
      vip: "VI_1",
      port: 80,
      protocol: "TCP",
      scheduler: "wrr",
      forwarding: "DR",
      persistence: { timeout: 50 },
      // warmup = delay_loop: keepalived spreads the first checks over one delay_loop
      healthCheck: {
        type: "tcp",
        port: 80,
        interval: 1,
        warmup: 1,
        connectTimeout: 3,
        retries: 3,
        delayBeforeRetry: 3,
      },
      backends: [
        { server: "http1", weight: 1 },
        { server: "http2", weight: 1 },
      ],
    },
  ],
});
