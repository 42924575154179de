// The bad-input table's rows for keepalived.conf as the agent converts it (`lvs-agent check
// --keepalived-conf`), and how a user sees them: "file:LINE: keyword: why", every problem at once, or
// when the file loads, the notes of what the conversion changed. Files in memory: pure.
import { convertFiles } from "../../../agent/src/keepalived/test-helpers.ts";
import { rowsAt, type Area } from "./row.ts";

const vrrp = (body: string, head = "") =>
  `vrrp_instance VI_1 {\n${head} interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  10.0.0.100/24\n }\n${body}\n}\n`;
const K = "/etc/keepalived/keepalived.conf";

const rows = rowsAt<Record<string, string>>("keepalived.conf", [
  [
    { [K]: vrrp(" prioritee 100") },
    `${K}:7: unsupported keyword 'prioritee' in vrrp_instance VI_1: lvs-agent has no equivalent; remove the line, or keep this part on keepalived`,
  ],
  [{ [K]: vrrp(" priority 100").replace(/}\n$/, "") }, `${K}:1: 'vrrp_instance' block has no closing '}'`],
  [{ [K]: `${vrrp(" priority 100")}}\n` }, `${K}:9: unexpected '}' (no block is open)`],
  [
    { [K]: `include /etc/keepalived/[a-\n${vrrp("")}` },
    `${K}:1: include /etc/keepalived/[a- is not a valid pattern: '[' at character 1 is never closed by ']'`,
  ],
  [{ [K]: `include conf.d/vrrp.conf\n${vrrp("")}` }, `${K}:1: cannot read /etc/keepalived/conf.d/vrrp.conf: ENOENT`],
  [{ [K]: vrrp(" priority 256") }, `${K}:7: priority: must be 1-255, got 256 (lvs-agent instances.VI_1.priority)`],
  [
    { [K]: vrrp("").replace("virtual_router_id 51", "virtual_router_id 0") },
    `${K}:3: virtual_router_id: must be 1-255, got 0 (lvs-agent instances.VI_1.vrid)`,
  ],
  [
    { [K]: `${vrrp("")}virtual_server 10.0.0.100 80 {\n lb_algo fastest\n real_server 10.0.0.21 80 {\n }\n}\n` },
    `${K}:10: lb_algo: "fastest" is not an IPVS scheduler of Linux: use one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos (lvs-agent virtualServers["10.0.0.100:80"].scheduler)`,
  ],
  [
    { [K]: vrrp("").replace("interface eth0", "interface eth0:1") },
    `${K}:2: interface: "eth0:1" holds ':': the kernel refuses it in interface names (eth0:1 is an old alias label on eth0, not an interface); give the interface itself, such as "eth0" (lvs-agent instances.VI_1.interface)`,
  ],
  [
    { [K]: `${vrrp("")}virtual_server 10.0.0.100 80 {\n real_server 10.0.0.21 80 {\n  weight -1\n }\n}\n` },
    `${K}:11: weight: must be 0-65535, got -1 (lvs-agent virtualServers["10.0.0.100:80"].realServers[0].weight)`,
  ],
  [
    { [K]: vrrp(" authentication {\n  auth_type PASS\n  auth_pass Tr0ub4dor&3x\n }", " version 2\n") },
    `${K}:10: auth_pass: only the first 8 characters are used, as keepalived does (VRRPv2 carries 8 bytes)`,
  ],
]);

export const keepalived: Area<Record<string, string>> = {
  rows,
  says: ({ input }) => {
    const r = convertFiles(input);
    return r.ok ? (r.notes ?? []) : r.problems;
  },
};
