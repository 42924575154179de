// Vip -> per-director fragments (pure). Every member gets the same instance under the same name at its
// own priority; with unicast, its peers are the other members' sourceIp.
import type { AgentConfigInput } from "../../../../agent/src/config/schema.ts";
import type { VipInputs, VipOutputs } from "./schema.ts";
import { defined, fragmentPath, type HostFragment } from "../fragment/files.ts";

type InstanceInput = NonNullable<AgentConfigInput["instances"]>[string];

export function planVip(v: VipInputs): HostFragment[] {
  const path = fragmentPath("vip", v.name);
  return v.directors.map((d, i) => {
    const config: AgentConfigInput = { instances: { [v.name]: instanceFor(v, i) } };
    if (Object.keys(v.trackScripts).length > 0) {
      config.scripts = Object.fromEntries(Object.entries(v.trackScripts).map(([n, def]) => [scriptName(v, n), def]));
    }
    if (v.syncDaemon) config.syncDaemon = { ...v.syncDaemon, followInstance: v.name };
    return { host: d.connection.host, connection: d.connection, path, config };
  });
}

function instanceFor(v: VipInputs, member: number): InstanceInput {
  const self = v.directors[member]!;
  const peers = v.unicast
    ? v.directors.filter((_, j) => j !== member).flatMap((d) => (d.sourceIp ? [d.sourceIp] : []))
    : [];
  return defined({
    interface: v.interface,
    vrid: v.vrid,
    priority: self.priority,
    version: v.version,
    advertInterval: v.advertInterval,
    virtualAddresses: v.addresses.map((address) => ({ address })),
    sourceIp: self.sourceIp,
    unicastPeers: peers,
    auth: v.auth,
    preempt: v.preempt,
    preemptDelay: v.preemptDelay,
    acceptMode: v.acceptMode,
    garp: v.garp,
    trackInterfaces: v.trackInterfaces,
    // Each script's own weight applies (0, the default: failing puts the member in FAULT, as keepalived's).
    trackScripts: Object.keys(v.trackScripts).map((n) => ({ name: scriptName(v, n) })),
  });
}

/**
 * A script's name on the directors: under its Vip's name, since script names are global across an
 * agent's fragments and two Vips may each track a "chk_nginx" of their own.
 */
export const scriptName = (v: Pick<VipInputs, "name">, script: string): string => `${v.name}.${script}`;

/** Outputs beside the inputs: where the fragment lives and on which hosts. */
export function vipOutputs(v: VipInputs): VipOutputs {
  return { fragmentPath: fragmentPath("vip", v.name), hosts: v.directors.map((d) => d.connection.host) };
}
