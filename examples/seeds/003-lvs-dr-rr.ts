// Seed 003 (/work/shared/seeds/003_17f0afd12ed7f824.txt, "LVS+Keepalived高可用集群搭建"): two directors on
// ens33, MASTER at priority 150 and BACKUP at 100, hold VIP 192.168.1.100 by multicast VRRPv2 (VRID 51,
// advert 1 s, PASS auth) and balance TCP 192.168.1.100:80 rr, DR, over 192.168.1.20 and .21 (weight 1),
// each checked by a TCP connect every 3 s (timeout 3 s, 3 retries). The real servers are prepared as the
// seed's section 3 does by hand: arp_ignore 1 and arp_announce 2, the VIP/32 on lo.
// The seed gives no director addresses ("VIP 与物理IP同网段"): 192.168.1.11 and .12 stand in for them. Its
// closing tuning tips (wlc, delay_loop 1, conn_reuse_mode=0) are not applied.
import { Cluster } from "../../sdk/cluster.ts";
import { director, realServer } from "./hosts.ts";

export const cluster = new Cluster("seed-003", {
  directors: [director("master", "192.168.1.11"), director("backup", "192.168.1.12")],
  vips: [
    {
      name: "VI_1",
      interface: "ens33",
      vrid: 51,
      version: 2,
      advertInterval: 1,
      addresses: ["192.168.1.100"],
      priorities: { master: 150, backup: 100 },
      auth: { type: "PASS", password: "1111" },
    },
  ],
  realServers: [realServer("rs1", "192.168.1.20", "ens33"), realServer("rs2", "192.168.1.21", "ens33")],
  virtualServers: [
    {
      name: "http",
      vip: "VI_1",
      port: 80,
      protocol: "TCP",
      scheduler: "rr",
      forwarding: "DR",
      // warmup = delay_loop: keepalived spreads the first checks over one delay_loop
      healthCheck: { type: "tcp", interval: 3, warmup: 3, connectTimeout: 3, retries: 3 },
      backends: [
        { server: "rs1", weight: 1 },
        { server: "rs2", weight: 1 },
      ],
    },
  ],
});
