// lvs.RealServer: one backend. Its `backend` output is what a VirtualServer lists in realServers; with
// prepare (the default) the provider also readies the host for DR/TUN: ARP sysctls and the VIPs on lo
// (tunl0 for TUN), persisted across reboots (planner/real-server.ts).
import { z } from "zod";
import { Forwarding, RealServer } from "../../../agent/src/config/ipvs.ts";
import { realServerOutputs } from "../planner/real-server.ts";
import { defineResource, type Problem } from "./check.ts";
import { Connection, deepStrict, ifname, ipv4, resourceName, type Obj } from "./common.ts";

export const RealServerInputs = deepStrict(RealServer).extend({
  /** names the files written on the host; defaults to the resource's name */
  name: resourceName,
  /** how the directors forward to it; DR and TUN need the host prepared */
  forwarding: Forwarding.default("DR"),
  /** the VIPs it serves: put on lo (DR) or tunl0 (TUN) so it accepts their traffic */
  vips: z.array(ipv4).default([]),
  /** the interface facing the directors, for the ARP sysctls */
  interface: ifname.default("eth0"),
  /**
   * net.ipv4.conf.{all,lo or tunl0,<interface>}.arp_ignore: 1 (DR's usual) answers ARP only for
   * addresses on the interface asked, never for a VIP on lo; 2, 3 and 8 are stricter
   */
  arpIgnore: z.number().int().min(0).max(8).default(1),
  /** ...arp_announce: 2 (DR's usual) never uses a VIP as the source of its own ARP requests; 1 avoids it where it can */
  arpAnnounce: z.number().int().min(0).max(2).default(2),
  /** prepare the host over SSH (needs connection); false when the host is prepared otherwise */
  prepare: z.boolean().default(true),
  connection: Connection.optional(),
});

export const RealServerOutputs = z.object({
  /** the entry for a VirtualServer's realServers */
  backend: RealServer,
  /** the host prepared, when there is a connection */
  host: z.string().optional(),
  /** this resource's name in the host's preparation record */
  holder: z.string().optional(),
  /** the ARP sysctls it holds, as applied */
  sysctls: z.record(z.string(), z.number()).optional(),
  /** the VIPs it holds on lo (DR) or tunl0 (TUN) */
  loopbackVips: z.array(z.string()).optional(),
  /** each sysctl's value before the provider first changed it: restored when the last holder goes */
  previous: z.record(z.string(), z.number()).optional(),
  /** "enabled" (systemd) or "files written" (no systemd running) */
  persistence: z.string().optional(),
  /** what differs on the host that no input shows (persistence files, units, other sysctls); the next update repairs it */
  drift: z.array(z.string()).optional(),
});

export type RealServerInputs = z.infer<typeof RealServerInputs>;
export type RealServerOutputs = z.infer<typeof RealServerOutputs>;
export type RealServerArgs = z.input<typeof RealServerInputs>;

function realServerRules(raw: Obj): Problem[] {
  const mode = raw.forwarding ?? "DR";
  if (raw.prepare === false || (mode !== "DR" && mode !== "TUN")) return [];
  const out: Problem[] = [];
  if (raw.connection === undefined) {
    out.push({ path: ["connection"], message: `is required to prepare a ${mode} real server (its VIPs go on ${mode === "DR" ? "lo" : "tunl0"} and its ARP settings change): give a connection, or set prepare: false and prepare the host yourself` });
  }
  if (raw.vips === undefined || (Array.isArray(raw.vips) && raw.vips.length === 0)) {
    out.push({ path: ["vips"], message: `a ${mode} real server needs the VIPs it serves, to accept their traffic` });
  }
  if (raw.arpIgnore === 0 || (typeof raw.arpIgnore === "number" && raw.arpIgnore > 3 && raw.arpIgnore < 8)) {
    out.push({ path: ["arpIgnore"], message: `${raw.arpIgnore === 0 ? "0 answers ARP for the VIP on lo and steals it from the director" : "4-7 are reserved by the kernel"}: use 1 (or 2, 3, 8)` });
  }
  if (raw.arpAnnounce === 0) out.push({ path: ["arpAnnounce"], message: "0 may send ARP requests from the VIP and steal it from the director: use 2 (or 1)" });
  const vips = Array.isArray(raw.vips) ? (raw.vips as unknown[]) : [];
  vips.forEach((v, i) => {
    if (vips.indexOf(v) !== i) out.push({ path: ["vips", i], message: "is listed twice" });
  });
  return out;
}

export const realServerSpec = defineResource({
  token: "lvs:index:RealServer",
  description: "A real server behind a virtual service; readies the host for DR/TUN (ARP sysctls, VIPs on lo) when prepare is set.",
  schema: RealServerInputs,
  named: true,
  rules: realServerRules,
  // Its agent-facing part is the agent's RealServer schema itself, checked in full by the schema.
  agentProblems: () => [],
  replaceOn: ["name", "connection.host"],
  connectionPaths: ["connection"],
  importInputs: (id) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})@([^@\s]+)$/.exec(id);
    if (!m) return `a RealServer's import id is <name>@<host>, the name it prepared the host under: for example web-1@10.0.0.11 (got ${JSON.stringify(id)})`;
    return { name: m[1], connection: { host: m[2] } };
  },
  outputs: RealServerOutputs,
  computed: realServerOutputs,
});
