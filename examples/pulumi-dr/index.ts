// Two directors share VIP 10.0.0.100 by VRRP (unicast adverts) and balance HTTP over two
// direct-routing real servers, which the provider prepares (ARP sysctls, VIP on lo). Run from the
// repository root (Pulumi.yaml points here and at the local plugin in bin/):
//   pulumi config set --secret sshPrivateKey "$(cat ~/.ssh/id_ed25519)"
//   pulumi config set --path 'hostKeys["10.0.0.2"]' 'SHA256:...'   (one pin per host)
import * as pulumi from "@pulumi/pulumi";
import * as lvs from "../../sdk/index.ts";

const config = new pulumi.Config();
const privateKey = config.requireSecret("sshPrivateKey");
const hostKeys = config.requireObject<Record<string, string>>("hostKeys");

const ssh = (host: string) => ({ host, privateKey, hostKey: hostKeys[host] });

const VIP = "10.0.0.100";
const directorHosts = [
  { host: "10.0.0.2", priority: 150 },
  { host: "10.0.0.3", priority: 100 },
];

const directors = directorHosts.map(
  (d, i) =>
    new lvs.Director(`director-${i + 1}`, {
      connection: ssh(d.host),
      sysctls: { "net.ipv4.vs.expire_nodest_conn": 1 },
    }),
);

export const vip = new lvs.Vip(
  "web",
  {
    interface: "eth0",
    vrid: 51,
    addresses: [`${VIP}/24`],
    subnet: "10.0.0.0/24",
    unicast: true,
    directors: directorHosts.map((d) => ({ connection: ssh(d.host), priority: d.priority, sourceIp: d.host })),
  },
  { dependsOn: directors },
);

export const realServers = ["10.0.0.11", "10.0.0.12"].map(
  (address, i) =>
    new lvs.RealServer(`web-${i + 1}`, {
      address,
      vips: [VIP],
      connection: ssh(address),
      healthCheck: { type: "http", path: "/healthz" },
    }),
);

// Real servers first: a DR backend must hold the VIP on lo before the directors send it traffic.
export const http = new lvs.VirtualServer(
  "http",
  {
    directors: directorHosts.map((d) => ssh(d.host)),
    address: VIP,
    port: 80,
    scheduler: "wlc",
    realServers: realServers.map((rs) => rs.backend),
  },
  { dependsOn: [vip] },
);

export const vipFragment = vip.fragmentPath;
export const service = http.service;
