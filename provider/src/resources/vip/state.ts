// lvs.Vip between its inputs and its directors (pure): where each director's fragment goes, the Vip as
// its fragments say it is (Read's drift), and the live VRRP state its agents report.
// Drift: the instance's fields come from the first director holding a readable fragment, each
// director's priority and sourceIp from its own; a director whose fragment these values do not
// reproduce exactly (hand-edited, not JSON, missing) is left out of `directors`. So any hand edit shows
// in the engine's diff of the inputs, and an update writes the planned fragment back.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { AgentStatus } from "../../../../agent/src/status/format.ts";
import { isObject, type Obj } from "../../inputs/common.ts";
import { VipDirector, VipInputs, type VipLive } from "./schema.ts";
import { defined, fragmentPath } from "../fragment/files.ts";
import { planVip } from "./plan.ts";
import { locate, normalized, place, type Location, type Placement } from "../fragment/plan.ts";

export const VIP_INPUT_KEYS = Object.keys(VipInputs.shape);
/** Fields of the instance that are Vip inputs of the same name and meaning. */
const SAME = [
  "interface",
  "vrid",
  "version",
  "advertInterval",
  "auth",
  "preempt",
  "preemptDelay",
  "acceptMode",
  "garp",
  "trackInterfaces",
] as const;

export const vipId = (name: string): string => `vip-${name}`;

export function vipPlacements(v: VipInputs): Placement[] {
  return planVip(v).map((f, i) => place(f, v.directors[i]!));
}

/** name and directors only (see FragmentResource.locations). */
const Where = z.object({
  name: z.string(),
  directors: z.array(
    VipDirector.pick({ connection: true, configDir: true, agentCommand: true, statusSocket: true }).strip(),
  ),
});

export function vipLocations(state: Obj): Location[] {
  const w = Where.parse(state);
  return w.directors.map((d) => locate(d.connection, d, fragmentPath("vip", w.name)));
}

const instanceOf = (config: Obj | undefined, name: string): Obj | undefined =>
  isObject(config?.instances) && isObject(config.instances[name]) ? config.instances[name] : undefined;

/** The Vip's inputs as its directors' fragments (parsed, in directors' order; undefined: none or unreadable) say. */
export function vipAsFound(declared: Obj, configs: Array<Obj | undefined>): Obj {
  const name = String(declared.name);
  const insts = configs.map((c) => instanceOf(c, name));
  const first = insts.findIndex((i) => i !== undefined);
  const listed = Array.isArray(declared.directors) ? (declared.directors as Obj[]) : [];
  if (first < 0) return { ...declared, directors: [] };
  const inst = insts[first]!;
  const sync = configs[first]!.syncDaemon;
  const scripts = isObject(configs[first]!.scripts) ? configs[first]!.scripts : {};
  const peers = Array.isArray(inst.unicastPeers) ? inst.unicastPeers : [];
  const shared = defined({
    ...Object.fromEntries(SAME.map((k) => [k, inst[k]])),
    addresses: Array.isArray(inst.virtualAddresses)
      ? inst.virtualAddresses.map((a: unknown) => (isObject(a) ? a.address : a))
      : inst.virtualAddresses,
    syncDaemon: isObject(sync) ? defined({ ...sync, followInstance: undefined }) : undefined,
    // Scripts are named <vip>.<script> on the directors (plan.ts scriptName).
    trackScripts: Object.fromEntries(
      Object.entries(scripts)
        .filter(([n]) => n.startsWith(`${name}.`))
        .map(([n, def]) => [n.slice(name.length + 1), def]),
    ),
    // Not in the fragment as such: as declared, or (an import) as its peers show.
    unicast: declared.unicast ?? (peers.length > 0 || undefined),
  });
  const kept = Object.fromEntries(
    Object.entries(declared).filter(
      ([k]) =>
        !(SAME as readonly string[]).includes(k) && !["addresses", "syncDaemon", "trackScripts", "unicast"].includes(k),
    ),
  );
  const directors = listed.map((d, i) =>
    insts[i] ? defined({ ...d, priority: insts[i].priority, sourceIp: insts[i].sourceIp }) : d,
  );
  const candidate = { ...kept, ...shared, directors };
  const planned = planVip(candidate as VipInputs).map(normalized);
  return {
    ...candidate,
    directors: directors.filter((_, i) => configs[i] !== undefined && isDeepStrictEqual(planned[i], configs[i])),
  };
}

/** Each director's state for this instance, and the one MASTER (by host) when exactly one is. */
export function vipLive(name: string, locations: Location[], statuses: Array<AgentStatus | string>): VipLive {
  const directorStatus = locations.map((l, i): VipLive["directorStatus"][number] => {
    const base = { host: l.conn.host, fragmentPath: l.path };
    const s = statuses[i]!;
    if (typeof s === "string") return { ...base, error: s };
    const inst = s.instances.find((x) => x.name === name);
    if (!inst) return { ...base, error: `the agent runs no instance ${name}` };
    return {
      ...base,
      state: inst.state,
      effectivePriority: inst.effectivePriority,
      masterIp: inst.masterIp,
      vips: inst.vips,
    };
  });
  const masters = directorStatus.filter((d) => d.state === "MASTER");
  return defined({
    directorStatus: directorStatus.map((d) => defined(d)),
    master: masters.length === 1 ? masters[0]!.host : undefined,
  });
}
