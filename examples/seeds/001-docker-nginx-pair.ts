// Seed 001 (/work/shared/seeds/001_c3648b9bb2864d33.txt, "keeplived高可用集群", keepalived-master.conf and
// keepalived-slave.conf): two nginx containers on a docker network, 172.20.128.2 (priority 200) and
// 172.20.128.3 (100), hold VIP 172.20.128.4/24 on eth0 by unicast VRRPv2 (VRID 33, advert 1 s, PASS auth);
// TCP 172.20.128.2:80 (the seed's virtual_server address: the master's own, not the VIP) is balanced rr,
// DR, persistent 50 s, over 172.16.16.177 and .178 (weight 1), each checked by a TCP connect to port 80
// every 15 s (timeout 3 s, 3 retries 4 s apart).
// Its track_script chk_nginx (`pidof nginx` every 2 s: nginx down puts VI_1 in FAULT) is the VIP's
// trackScripts (named VI_1.chk_nginx on the directors). Not as in the seed: the virtual server runs on
// both directors (a cluster's
// services follow their VIP; the seed's slave has none); the real servers, which the seed leaves as they
// are, are prepared for DR.
import { Cluster } from "../../sdk/cluster.ts";
import { director, realServer } from "./hosts.ts";

export const cluster = new Cluster("seed-001", {
  directors: [director("nginx_master", "172.20.128.2"), director("nginx_slave", "172.20.128.3")],
  vips: [
    {
      name: "VI_1",
      interface: "eth0",
      vrid: 33,
      version: 2,
      advertInterval: 1,
      addresses: ["172.20.128.4/24"],
      priorities: { nginx_master: 200, nginx_slave: 100 },
      unicast: true,
      auth: { type: "PASS", password: "letmein" },
      trackScripts: { chk_nginx: { script: "/usr/bin/pidof nginx", interval: 2 } },
    },
  ],
  realServers: [realServer("rs1", "172.16.16.177"), realServer("rs2", "172.16.16.178")],
  virtualServers: [
    {
      name: "http",
      vip: "VI_1",
      address: "172.20.128.2",
      port: 80,
      protocol: "TCP",
      scheduler: "rr",
      forwarding: "DR",
      persistence: { timeout: 50 },
      // warmup = delay_loop: keepalived spreads the first checks over one delay_loop
      healthCheck: {
        type: "tcp",
        port: 80,
        interval: 15,
        warmup: 15,
        connectTimeout: 3,
        retries: 3,
        delayBeforeRetry: 4,
      },
      backends: [
        { server: "rs1", weight: 1 },
        { server: "rs2", weight: 1 },
      ],
    },
  ],
});
