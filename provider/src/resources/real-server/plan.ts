// RealServer -> the host's desired state (pure). For DR the real server must accept packets addressed
// to the VIP without ever answering ARP for it (the director owns the VIP on the wire): arp_ignore=1 and
// arp_announce=2 (the defaults of arpIgnore and arpAnnounce) on all, lo and the facing interface, then VIP/32 on lo. TUN is the same with the VIPs on
// tunl0 (ipip) and reverse-path filtering off there. NAT needs nothing on the host. The sysctls come
// before the addresses: a VIP on lo with the kernel's default ARP behaviour answers ARP for it.
// Both persist across reboots: a sysctl.d file and a oneshot unit that puts the addresses back.
import type { RealServerInputs, RealServerOutputs } from "./schema.ts";
import { defined } from "../fragment/files.ts";

export interface RealServerPlan {
  /** sysctl key -> value, applied first */
  sysctls: Record<string, number>;
  /** addresses to hold, after the sysctls */
  addresses: Array<{ address: string; device: string }>;
  /** files that make both survive a reboot */
  files: Array<{ path: string; content: string }>;
  /** systemd unit to enable (the addresses' persistence); undefined when there is nothing to hold */
  service?: string;
}

const IP = "/sbin/ip";

/** sysctl key of a per-interface setting: dots in an interface name become "/" (sysctl's convention). */
export function confKey(device: string, setting: string): string {
  return `net.ipv4.conf.${device.replace(/\./g, "/")}.${setting}`;
}

export function planRealServer(rs: RealServerInputs): RealServerPlan {
  if (!rs.prepare || rs.forwarding === "NAT") return { sysctls: {}, addresses: [], files: [] };
  const device = rs.forwarding === "DR" ? "lo" : "tunl0";
  const sysctls: Record<string, number> = {};
  for (const dev of unique(["all", device, rs.interface])) {
    sysctls[confKey(dev, "arp_ignore")] = rs.arpIgnore;
    sysctls[confKey(dev, "arp_announce")] = rs.arpAnnounce;
  }
  if (rs.forwarding === "TUN") {
    sysctls[confKey("all", "rp_filter")] = 0;
    sysctls[confKey("tunl0", "rp_filter")] = 0;
  }
  const addresses = rs.vips.map((vip) => ({ address: `${vip}/32`, device }));
  const service = `lvs-real-server-${rs.name}.service`;
  const files = [
    { path: `/etc/sysctl.d/90-lvs-${rs.name}.conf`, content: sysctlFile(rs.name, sysctls) },
    { path: `/etc/systemd/system/${service}`, content: unitFile(rs.name, rs.forwarding === "TUN", addresses) },
  ];
  return { sysctls, addresses, files, service };
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

function sysctlFile(name: string, sysctls: Record<string, number>): string {
  const lines = Object.entries(sysctls).map(([k, v]) => `${k} = ${v}`);
  return [`# LVS real server ${name}: managed by pulumi-lvs`, ...lines, ""].join("\n");
}

function unitFile(name: string, tun: boolean, addresses: RealServerPlan["addresses"]): string {
  const up = tun ? ["ExecStart=/sbin/modprobe ipip", `ExecStart=${IP} link set tunl0 up`] : [];
  return [
    "[Unit]",
    `Description=LVS real server ${name}: VIPs for direct routing (managed by pulumi-lvs)`,
    "After=systemd-sysctl.service network-pre.target",
    "Before=network.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    ...up,
    ...addresses.map((a) => `ExecStart=${IP} addr replace ${a.address} dev ${a.device}`),
    ...addresses.map((a) => `ExecStop=-${IP} addr del ${a.address} dev ${a.device}`),
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** What a VirtualServer lists in realServers: the agent's RealServer fields of this backend. */
export function backendOf(rs: RealServerInputs) {
  const { address, port, weight, upperThreshold, lowerThreshold, forwarding, healthCheck, inhibitOnFailure } = rs;
  return defined({ address, port, weight, upperThreshold, lowerThreshold, forwarding, healthCheck, inhibitOnFailure });
}

export function realServerOutputs(rs: RealServerInputs): RealServerOutputs {
  const host = rs.connection?.host;
  return host === undefined ? { backend: backendOf(rs) } : { backend: backendOf(rs), host };
}
