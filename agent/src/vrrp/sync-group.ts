// keepalived's vrrp_sync_group: instances that change state together. Pure decisions for the daemon,
// which carries them out on its instances:
// - a member with a fault of its own (a tracked interface, script or process down) puts every other
//   member of its groups in FAULT too, until it recovers;
// - a member leaving MASTER for BACKUP makes the members that are MASTER resign (priority 0, BACKUP), so
//   the peer director takes the whole group. This follows the transition once (edge-triggered): a member
//   that later wins an election again stays MASTER until a sibling next leaves MASTER.
import type { SyncGroupConfig } from "../config/schema.ts";
import type { VrrpState } from "./fsm.ts";

export type SyncGroups = Readonly<Record<string, SyncGroupConfig>>;

/** The groups `instance` is in, by name. */
function groupsOf(groups: SyncGroups, instance: string): [string, SyncGroupConfig][] {
  return Object.entries(groups).filter(([, g]) => g.instances.includes(instance));
}

/** For every member of a group, the faults its siblings' own faults impose ("sync group G: VI_2 in FAULT"). */
export function groupFaults(groups: SyncGroups, ownFaulted: ReadonlySet<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, g] of Object.entries(groups)) {
    for (const member of g.instances) {
      const list = out.get(member) ?? [];
      for (const sib of g.instances)
        if (sib !== member && ownFaulted.has(sib)) list.push(`sync group ${name}: ${sib} in FAULT`);
      out.set(member, list);
    }
  }
  return out;
}

/** The siblings that must resign because `instance` went from `from` to `to`, with the reason to log. */
export function resignations(
  groups: SyncGroups,
  instance: string,
  from: VrrpState,
  to: VrrpState,
  stateOf: (name: string) => VrrpState | undefined,
): { instance: string; reason: string }[] {
  if (from !== "MASTER" || to !== "BACKUP") return [];
  return groupsOf(groups, instance).flatMap(([name, g]) =>
    g.instances
      .filter((sib) => sib !== instance && stateOf(sib) === "MASTER")
      .map((sib) => ({ instance: sib, reason: `sync group ${name}: ${instance} went BACKUP` })),
  );
}
