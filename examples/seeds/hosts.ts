// Shared by the seed examples: every host's SSH connection from the stack's config, taken as
// examples/pulumi-dr takes it (one key for every host, one host key pin per address). Run an example
// from the repository root with Pulumi.yaml's `main` pointed at it (e.g. examples/seeds/003-lvs-dr-rr.ts):
//   pulumi config set --secret sshPrivateKey "$(cat ~/.ssh/id_ed25519)"
//   pulumi config set --path 'hostKeys["192.168.1.11"]' 'SHA256:...'   (one pin per host)
import * as pulumi from "@pulumi/pulumi";
import type { ClusterArgs } from "../../sdk/cluster.ts";

const config = new pulumi.Config();
const privateKey = config.requireSecret("sshPrivateKey");
const hostKeys = config.requireObject<Record<string, string>>("hostKeys");

function ssh(host: string) {
  const hostKey = hostKeys[host];
  if (hostKey === undefined)
    throw new Error(`no host key pin for ${host}: pulumi config set --path 'hostKeys["${host}"]' 'SHA256:...'`);
  return { host, privateKey, hostKey };
}

/** A director, reached over SSH at its own address on the VRRP interface. */
export const director = (name: string, address: string): ClusterArgs["directors"][number] => ({
  name,
  address,
  connection: ssh(address),
});

/** A real server the provider prepares for DR (ARP sysctls on all, lo and `iface`; the VIP/32 on lo). */
export const realServer = (
  name: string,
  address: string,
  iface?: string,
): NonNullable<ClusterArgs["realServers"]>[number] => ({
  name,
  address,
  connection: ssh(address),
  ...(iface === undefined ? {} : { interface: iface }),
});
