// The bad-input table's rows for the agent's JSON config (the conf.d fragments, merged), and how a user
// sees them: "path: why", as `lvs-agent check` prints each problem after its fragment's file name. Pure.
import { validateConfig } from "../../../agent/src/config/validate.ts";
import { rowsAt, type Area } from "./row.ts";

const instance = (over: object) => ({
  instances: {
    VI_1: { interface: "eth0", vrid: 51, virtualAddresses: [{ address: "10.0.0.100/24" }], ...over },
  },
});
const service = (realServers: object[], over: object = {}) => ({
  virtualServers: { web: { address: "10.0.0.100", port: 80, realServers, ...over } },
});
const rs = { address: "10.0.0.21", port: 80 };

const rows = rowsAt<unknown>("agent JSON", [
  [instance({ vrid: 256 }), "instances.VI_1.vrid: must be 1-255, got 256"],
  [
    instance({ priority: 255, sourceIp: "10.0.0.2" }),
    "instances.VI_1.priority: 255 is only for the address owner, and sourceIp 10.0.0.2 is none of this instance's virtual addresses: use 1-254, or make sourceIp the address this router owns",
  ],
  [
    instance({ version: 2, auth: { type: "PASS", password: "Tr0ub4dor&3x" } }),
    "instances.VI_1.auth.password: must be at most 8 characters (VRRPv2 carries 8 bytes)",
  ],
  [instance({ prioirty: 100 }), 'instances.VI_1.prioirty: unknown field (did you mean "priority"?)'],
  [instance({ interface: undefined }), "instances.VI_1.interface: is required"],
  [
    instance({ virtualAddresses: [{ address: "10.0.0.100/33" }] }),
    'instances.VI_1.virtualAddresses[0].address: "10.0.0.100/33" is not an IPv4 address with an optional /prefix of 0-32: give one such as 10.0.0.100/24',
  ],
  [
    { global: { stateDir: "var/lib/lvs-agent" } },
    'global.stateDir: "var/lib/lvs-agent" is a relative path: the agent\'s working directory is not yours (systemd starts it in /), so give an absolute path such as /run/lvs-agent',
  ],
  [
    { global: { statusSocket: "/run/lvs\tagent.sock" } },
    'global.statusSocket: "/run/lvs\\tagent.sock" holds a control character (a newline, tab, ...): the path is written into scripts and the systemd unit, where it would start a line of its own; give a path without one',
  ],
  [
    { sysctls: { "net.ipv4.ip_forward": 3 } },
    'sysctls["net.ipv4.ip_forward"]: must be one of 0, 1 (NAT forwarding: replies from real servers are routed back through the director), got 3',
  ],
  [
    service([{ address: "fd00::21", port: 80 }]),
    "virtualServers.web.realServers[0].address: fd00::21 is IPv6 but the virtual server's 10.0.0.100 is IPv4: IPVS forwards a service only to servers of its own family; give an IPv4 address or put it in a virtual server of its own",
  ],
  [service([rs, rs]), "virtualServers.web.realServers[1]: 10.0.0.21:80 is already realServers[0]"],
  [service([{ ...rs, weight: -1 }]), "virtualServers.web.realServers[0].weight: must be 0-65535, got -1"],
  [service([rs], { port: 65536 }), "virtualServers.web.port: must be 0-65535, got 65536"],
  [
    { scripts: { chk: { script: "check_web.sh" } } },
    "scripts.chk.script: must start with the absolute path of an executable",
  ],
  [{ instance: {} }, 'instance: unknown field (did you mean "instances"?)'],
]);

export const agentJson: Area<unknown> = {
  rows,
  says: ({ input }) => {
    const r = validateConfig(input);
    return r.ok ? [] : r.problems;
  },
};
