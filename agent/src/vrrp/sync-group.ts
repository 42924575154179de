// keepalived's vrrp_sync_group: instances that change state together. Pure decisions for the daemon,
// which carries them out on its instances:
// - a member with a fault of its own (a tracked interface, script or process down) puts every other
//   member of its groups in FAULT too, until it recovers;
// - a member leaving MASTER for BACKUP makes the members that are MASTER resign (priority 0, BACKUP), so
//   the peer director takes the whole group. This follows the transition once (edge-triggered): a member
//   that later wins an election again stays MASTER until a sibling next leaves MASTER;
// - a member whose Master_Down_Timer fires only wants MASTER (fsm.ts); the members go MASTER together
//   once every member of the group is MASTER or wants it, as keepalived 2.x's do ("Syncing instances to
//   MASTER state"): while one member still hears a master, the others stay BACKUP rather than split the
//   group across directors.
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

/** The members `instance` waits for: those of its groups that neither are MASTER nor want it. */
export function holdouts(
  groups: SyncGroups,
  instance: string,
  wanting: readonly string[],
  stateOf: (name: string) => VrrpState | undefined,
): string[] {
  const members = new Set(groupsOf(groups, instance).flatMap(([, g]) => g.instances));
  // A member that is configured but not running (being restarted by a reload, or failed to start)
  // holds its group back too: keepalived would have it in FAULT, and the group with it.
  return [...members].filter((m) => m !== instance && !wanting.includes(m) && stateOf(m) !== "MASTER");
}

/** The members that go MASTER now: each wants MASTER, and no member of its groups holds it back. */
export function takeovers(
  groups: SyncGroups,
  wanting: readonly string[],
  stateOf: (name: string) => VrrpState | undefined,
): { instance: string; reason: string }[] {
  return wanting.flatMap((instance) => {
    const mine = groupsOf(groups, instance);
    if (mine.length === 0 || holdouts(groups, instance, wanting, stateOf).length > 0) return [];
    return [{ instance, reason: `sync group ${mine.map(([name]) => name).join(", ")}: every member wants MASTER` }];
  });
}

/** Whether an instance is in a sync group (its machine then waits for the group to go MASTER). */
export function inSyncGroup(groups: SyncGroups, instance: string): boolean {
  return groupsOf(groups, instance).length > 0;
}
