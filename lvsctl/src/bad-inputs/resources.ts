// The bad-input table's rows for Pulumi's Check of each resource (Director, Vip, VirtualServer,
// RealServer), and how a user sees them: the CheckFailures the provider answers, as "property: reason"
// (the engine prints each as `lvs:index:Vip resource 'web': property vrid value {0} has a problem: must
// be 1-255, got 0`). Each input is fields set over a valid resource (undefined: the field left out). Pure.
import { LvsProvider } from "../../../provider/src/provider.ts";
import { KEY, PIN } from "../cluster/test-cluster.ts";
import type { Area, Row } from "./row.ts";

type Resource = "Director" | "Vip" | "VirtualServer" | "RealServer";
const conn = { host: "10.0.0.2", privateKey: KEY, hostKey: PIN };
const VALID: Record<Resource, Record<string, unknown>> = {
  Director: { connection: conn },
  Vip: { interface: "eth0", vrid: 51, addresses: ["10.0.0.100/24"], directors: [{ connection: conn, priority: 150 }] },
  VirtualServer: {
    address: "10.0.0.100",
    port: 80,
    scheduler: "wrr",
    directors: [conn],
    realServers: [{ address: "10.0.0.21", port: 80 }],
  },
  RealServer: { address: "10.0.0.21", port: 80, vips: ["10.0.0.100"], connection: conn },
};
const member = (over: object) => ({ directors: [{ connection: conn, priority: 100, ...over }] });
const connection = (over: object) => ({ connection: { ...conn, ...over } });

async function checkFailures(row: Row<Record<string, unknown>>): Promise<string[]> {
  const type = row.where as Resource;
  const inputs = Object.fromEntries(
    Object.entries({ ...VALID[type], ...row.input }).filter(([, v]) => v !== undefined),
  );
  const { failures } = await new LvsProvider().check(`urn:pulumi:dev::lab::lvs:index:${type}::web`, inputs);
  return failures.map((f) => `${f.property}: ${f.reason}`);
}

const rows: Row<Record<string, unknown>>[] = [
  {
    where: "Vip",
    input: { addresses: ["10.0.0.300/24"] },
    expected: [
      'addresses[0]: "10.0.0.300/24" is not an IPv4 address with an optional /prefix of 0-32: give one such as 10.0.0.100/24',
    ],
  },
  {
    where: "Vip",
    input: { subnet: "10.0.0.0/24", addresses: ["10.0.1.100/24"] },
    expected: ["addresses[0]: 10.0.1.100 is outside the interface's subnet 10.0.0.0/24"],
  },
  { where: "Vip", input: member({ priority: 256 }), expected: ["directors[0].priority: must be 1-255, got 256"] },
  {
    where: "Vip",
    input: member({ priority: 255 }),
    expected: [
      "directors[0].priority: 255 is only for the address owner (a director whose sourceIp is one of the addresses): use 1-254",
    ],
  },
  { where: "Vip", input: { vrid: 0 }, expected: ["vrid: must be 1-255, got 0"] },
  { where: "Vip", input: { vrid: 256 }, expected: ["vrid: must be 1-255, got 256"] },
  {
    where: "Vip",
    input: { advertInterval: 41 },
    expected: [
      "advertInterval: VRRPv3 advertises in centiseconds: must be a multiple of 0.01 within 0.01-40.95, got 41",
    ],
  },
  {
    where: "Vip",
    input: { version: 2, advertInterval: 0.5 },
    expected: ["advertInterval: VRRPv2 advertises in whole seconds: must be a whole number 1-255, got 0.5"],
  },
  {
    where: "Vip",
    input: { version: 2, auth: { type: "PASS", password: "Tr0ub4dor&3x" } },
    expected: ["auth.password: must be at most 8 characters (VRRPv2 carries 8 bytes)"],
  },
  {
    where: "Vip",
    input: { version: 2, auth: { type: "PASS", password: "characters-1" } },
    expected: [
      "auth.password: is not valid (the reason is withheld: it would show part of a secret input; check this value where it is set)",
    ],
  },
  {
    where: "Vip",
    input: { auth: { type: "PASS", password: "s3cr3t!" } },
    expected: ["auth: authentication is VRRPv2 only (RFC 5798 removed it): remove auth or set version: 2"],
  },
  {
    where: "Vip",
    input: { interface: "eth0:1" },
    expected: [
      `interface: "eth0:1" holds ':': the kernel refuses it in interface names (eth0:1 is an old alias label on eth0, not an interface); give the interface itself, such as "eth0"`,
    ],
  },
  {
    where: "Vip",
    input: { interface: "enp0s31f6.100-lan" },
    expected: [
      'interface: "enp0s31f6.100-lan" is 17 bytes: the kernel takes interface names of at most 15 bytes; use the interface\'s own (short) name, as `ip link` shows it',
    ],
  },
  { where: "Vip", input: { prempt: true }, expected: ['prempt: unknown field (did you mean "preempt"?)'] },
  {
    where: "Vip",
    input: { vrid: undefined, addresses: undefined },
    expected: ["addresses: is required", "vrid: is required"],
  },
  {
    where: "Vip",
    input: member({ connection: { ...conn, port: 0 } }),
    expected: ["directors[0].connection.port: must be 1-65535, got 0"],
  },
  {
    where: "Vip",
    input: member({ connection: { host: "10.0.0.2", hostKey: PIN } }),
    expected: ["directors[0].connection.privateKey: a privateKey or a password is required"],
  },
  {
    where: "Vip",
    input: member({ configDir: "etc/lvs-agent/conf.d" }),
    expected: [
      'directors[0].configDir: "etc/lvs-agent/conf.d" is a relative path: the agent\'s working directory is not yours (systemd starts it in /), so give an absolute path such as /run/lvs-agent',
    ],
  },
  {
    where: "Vip",
    input: member({ statusSocket: "/run/lvs\nagent.sock" }),
    expected: [
      'directors[0].statusSocket: "/run/lvs\\nagent.sock" holds a control character (a newline, tab, ...): the path is written into scripts and the systemd unit, where it would start a line of its own; give a path without one',
    ],
  },
  {
    where: "VirtualServer",
    input: { scheduler: "wrrr" },
    expected: [
      'scheduler: "wrrr" is not an IPVS scheduler of Linux: use one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos',
    ],
  },
  { where: "VirtualServer", input: { port: 0 }, expected: ["port: must be 1-65535, got 0"] },
  { where: "VirtualServer", input: { port: 65536 }, expected: ["port: must be 1-65535, got 65536"] },
  {
    where: "VirtualServer",
    input: { realServers: [{ address: "10.0.0.21", port: 80, weight: -1 }] },
    expected: ["realServers[0].weight: must be 0-65535, got -1"],
  },
  {
    where: "VirtualServer",
    input: { realServers: [{ address: "10.0.0.21", port: 80 }, { address: "10.0.0.21" }] },
    expected: ["realServers[1]: 10.0.0.21:80 is already realServers[0]"],
  },
  {
    where: "VirtualServer",
    input: { realServers: [{ address: "fd00::21", port: 80 }] },
    expected: ['realServers[0].address: "fd00::21" is an IPv6 address: this field takes IPv4, such as 10.0.0.21'],
  },
  {
    where: "VirtualServer",
    input: { shceduler: "rr" },
    expected: ['shceduler: unknown field (did you mean "scheduler"?)'],
  },
  {
    where: "RealServer",
    input: { address: "10.0.0" },
    expected: ['address: "10.0.0" is not an IPv4 address: give one such as 10.0.0.21'],
  },
  {
    where: "RealServer",
    input: { interface: "br/lan" },
    expected: [
      `interface: "br/lan" holds '/', white space or a control character, which the kernel refuses in interface names; give one such as eth0`,
    ],
  },
  {
    where: "RealServer",
    input: { connection: undefined },
    expected: [
      "connection: is required to prepare a DR real server (its VIPs go on lo and its ARP settings change): give a connection, or set prepare: false and prepare the host yourself",
    ],
  },
  {
    where: "RealServer",
    input: { arpIgnore: 0 },
    expected: ["arpIgnore: 0 answers ARP for the VIP on lo and steals it from the director: use 1 (or 2, 3, 8)"],
  },
  { where: "RealServer", input: { wieght: 3 }, expected: ['wieght: unknown field (did you mean "weight"?)'] },
  {
    where: "Director",
    input: { installDir: "opt/lvs" },
    expected: [
      'installDir: "opt/lvs" must be an absolute path of letters, digits and _ . @ + - (no spaces, no trailing /), such as /opt/lvs-agent',
      'installDir: "opt/lvs" must be at least two levels deep (e.g. /opt/lvs-agent): it is removed as a whole on delete',
    ],
  },
  {
    where: "Director",
    input: { global: { statusSocket: "run/lvs-agent.sock" } },
    expected: [
      'global.statusSocket: "run/lvs-agent.sock" is a relative path: the agent\'s working directory is not yours (systemd starts it in /), so give an absolute path such as /run/lvs-agent',
    ],
  },
  {
    where: "Director",
    input: { sysctls: { "net.ipv4.vs.expire_nodest_conn": 5 } },
    expected: [
      'sysctls["net.ipv4.vs.expire_nodest_conn"]: must be one of 0, 1 (drop connections whose real server was removed instead of blackholing them), got 5',
    ],
  },
  {
    where: "Director",
    input: { sysctls: { "net.ipv4.vs.conn_reuse": 1 } },
    expected: [
      'sysctls["net.ipv4.vs.conn_reuse"]: not a setting the agent manages (known: net.ipv4.ip_forward, net.ipv4.vs.conn_reuse_mode, net.ipv4.vs.expire_nodest_conn, net.ipv4.vs.expire_quiescent_template, net.ipv4.vs.sloppy_tcp, net.ipv4.vs.sloppy_sctp, net.ipv4.vs.conntrack, net.ipv4.vs.snat_reroute, net.ipv4.vs.schedule_icmp, net.ipv4.vs.pmtu_disc, net.ipv4.vs.sync_version, net.ipv4.conf.all.send_redirects, net.ipv4.conf.default.send_redirects)',
    ],
  },
  {
    where: "Director",
    input: { serviceManager: "upstart" },
    expected: ['serviceManager: must be "systemd" or "supervised" or "auto", got "upstart"'],
  },
  {
    where: "Director",
    input: connection({ hostKey: "ssh-ed25519" }),
    expected: ["connection.hostKey: must be a SHA256:... fingerprint or an OpenSSH public key line"],
  },
  {
    where: "Director",
    input: connection({ prot: 2222 }),
    expected: ['connection.prot: unknown field (did you mean "port"?)'],
  },
];

export const resources: Area<Record<string, unknown>> = { rows, says: checkFailures };
