// LVS-NAT with a sorry server: two directors hold the public VIP and the real servers' gateway address
// (a second VRRP group on the inside), rewrite each connection to a real server (masquerading), and
// send every request to the sorry server when no real server passes its HTTP check. NAT needs
// net.ipv4.ip_forward=1 on the directors: the agent sets it for NAT services. The real servers are not
// prepared (NAT needs no ARP suppression) but must route back through the inside VIP. SSH comes from the
// provider's config; hosts from the stack's config (example addresses by default):
//   pulumi config set --secret lvs:privateKey "$(cat ~/.ssh/id_ed25519)"
//   pulumi config set --path 'lvs:hostKeys["203.0.113.2"]' SHA256:...        (one pin per director)
import * as pulumi from "@pulumi/pulumi";
import * as lvs from "@pulumi/lvs";

const config = new pulumi.Config();
const directors = config.getObject<string[]>("directors") ?? ["203.0.113.2", "203.0.113.3"];
const vip = config.get("vip") ?? "203.0.113.100/24";
const gateway = config.get("gateway") ?? "10.10.0.1/24";
const realServers = config.getObject<string[]>("realServers") ?? ["10.10.0.21", "10.10.0.22"];
const sorry = config.get("sorryServer") ?? "10.10.0.99";
const outside = config.get("outsideInterface") ?? "eth0";
const inside = config.get("insideInterface") ?? "eth1";

const names = directors.map((_, i) => `lb${i + 1}`);
const priorities = Object.fromEntries(names.map((n, i) => [n, i === 0 ? 150 : 100]));

export const cluster = new lvs.Cluster("nat", {
  directors: directors.map((address, i) => ({ name: names[i]!, address, connection: { host: address } })),
  vips: [
    { name: "public", interface: outside, vrid: 61, addresses: [vip], priorities },
    // The real servers' default gateway moves with the public VIP (keepalived users put both in one
    // vrrp_sync_group; here they share priorities and preemption).
    { name: "gateway", interface: inside, vrid: 62, addresses: [gateway], priorities },
  ],
  realServers: realServers.map((address, i) => ({ name: `app${i + 1}`, address })),
  virtualServers: [
    {
      name: "http",
      vip: "public",
      port: 80,
      scheduler: "wlc",
      forwarding: "NAT",
      healthCheck: { type: "http", path: "/health", statusCodes: [200], interval: 2, connectTimeout: 2, retries: 2 },
      sorryServer: { address: sorry, port: 80 },
      backends: realServers.map((_, i) => ({ server: `app${i + 1}`, weight: 1 })),
    },
  ],
});
