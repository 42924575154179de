// lvs.RealServer: one backend. Its `backend` output is what a VirtualServer lists in realServers; with
// prepare (the default) the provider also readies the host for DR/TUN: ARP sysctls and the VIPs on lo
// (tunl0 for TUN), persisted across reboots (plan.ts).
import { z } from "zod";
import { Forwarding, RealServer } from "../../../../agent/src/config/ipvs.ts";
import { Connection, deepStrict, ifname, ipv4, resourceName } from "../../inputs/common.ts";

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
