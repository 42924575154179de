// The seeds' LVS-DR cluster (seeds 002 and 003): two directors, MASTER at priority 150 and BACKUP at
// 100, hold one VIP by VRRP and balance HTTP wrr by direct routing over two real servers, each checked
// by a TCP connect (keepalived's TCP_CHECK). The provider prepares the real servers as the seeds do by
// hand: arp_ignore 1, arp_announce 2 and the VIP/32 on lo. SSH comes from the provider's config, so no
// resource repeats it; the hosts from the stack's config (the seeds' addresses by default):
//   pulumi config set --secret lvs:privateKey "$(cat ~/.ssh/id_ed25519)"
//   pulumi config set --path 'lvs:hostKeys["192.168.1.11"]' SHA256:...      (one pin per host)
//   pulumi config set --path 'directors[0]' 192.168.1.11                     (and realServers, vip)
import * as pulumi from "@pulumi/pulumi";
import * as lvs from "@pulumi/lvs";

const config = new pulumi.Config();
const directors = config.getObject<string[]>("directors") ?? ["192.168.1.11", "192.168.1.12"];
const realServers = config.getObject<string[]>("realServers") ?? ["192.168.1.20", "192.168.1.21"];
const vip = config.get("vip") ?? "192.168.1.100";
const prefix = config.getNumber("prefix") ?? 24;
const iface = config.get("interface") ?? "eth0";

export const cluster = new lvs.Cluster("dr", {
  directors: directors.map((address, i) => ({ name: `lb${i + 1}`, address, connection: { host: address } })),
  vips: [
    {
      name: "VI_1",
      interface: iface,
      vrid: 51,
      advertInterval: 1,
      addresses: [`${vip}/${prefix}`],
      priorities: Object.fromEntries(directors.map((_, i) => [`lb${i + 1}`, i === 0 ? 150 : 100])),
    },
  ],
  realServers: realServers.map((address, i) => ({
    name: `rs${i + 1}`,
    address,
    connection: { host: address },
    interface: iface,
  })),
  virtualServers: [
    {
      name: "http",
      vip: "VI_1",
      port: 80,
      scheduler: "wrr",
      forwarding: "DR",
      persistence: { timeout: 50 },
      healthCheck: { type: "tcp", interval: 3, connectTimeout: 3, retries: 3 },
      backends: realServers.map((_, i) => ({ server: `rs${i + 1}`, weight: 1 })),
    },
  ],
});
