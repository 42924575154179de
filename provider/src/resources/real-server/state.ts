// lvs.RealServer between its inputs and the host record (pure): what it holds on its host (the
// planner's sysctls, VIPs and persistence files), the outputs after create/update, and the state read
// reports. Read reflects the host as it is, under the inputs' own keys: `arpIgnore` and `arpAnnounce`
// are the values found where they differ from what it set, `vips` keeps only the VIPs still there; so
// the engine's diff against the program shows each hand edit as the property it changed, and an update
// repairs it. What no input can show (a persistence file edited, a unit disabled, TUN's rp_filter)
// is listed in the `drift` output, which Diff also turns into an update.
import { sha256, type Holding, type HoldingStatus, type PrepRecord, type Want } from "./prep/record.ts";
import type { Obj } from "../../inputs/common.ts";
import { RealServerInputs } from "./schema.ts";
import { defined } from "../fragment/files.ts";
import { planRealServer, realServerOutputs } from "./plan.ts";

const INPUT_KEYS = Object.keys(RealServerInputs.shape);

/** The input fields of a state (outputs carry the inputs beside computed values). */
export function inputsOf(props: Obj): Obj {
  return Object.fromEntries(Object.entries(props).filter(([k]) => INPUT_KEYS.includes(k)));
}

export const parseInputs = (props: Obj): RealServerInputs => RealServerInputs.parse(inputsOf(props));

/** The name a real server holds its host's preparation under. */
export const holderNamed = (name: string): string => `real-server/${name}`;
export const holderOf = (rs: RealServerInputs): string => holderNamed(rs.name);

/** "web-1@10.0.0.11": the name, and the host it prepares (or its address when it prepares none). */
export const idOf = (rs: RealServerInputs): string => `${rs.name}@${rs.connection?.host ?? rs.address}`;

/** Whether the host is prepared over SSH at all. */
export const preparesHost = (rs: RealServerInputs): boolean =>
  rs.prepare && rs.forwarding !== "NAT" && rs.connection !== undefined;

/** What it holds on its host; every file path under `root` (a test hook, "" normally). */
export function wantOf(rs: RealServerInputs, root = ""): Want | undefined {
  if (!preparesHost(rs)) return undefined;
  const plan = planRealServer(rs);
  const files = plan.files.map((f) => ({ path: `${root}${f.path}`, content: f.content }));
  const holding: Holding = {
    sysctls: plan.sysctls,
    addresses: plan.addresses,
    files: Object.fromEntries(files.map((f) => [f.path, sha256(f.content)])),
    units: plan.service ? [plan.service] : [],
  };
  return { holding, contents: Object.fromEntries(files.map((f) => [f.path, f.content])) };
}

export type Persistence = "enabled" | "files written";

/** Outputs once the host holds what it wants (or without a host to prepare). */
export function outputsOf(
  rs: RealServerInputs,
  want: Want | undefined,
  record: PrepRecord | undefined,
  systemd: boolean,
): Obj {
  const base = { ...rs, ...realServerOutputs(rs) };
  if (!want) return { ...base, sysctls: {}, loopbackVips: [], previous: {}, drift: [] };
  return {
    ...base,
    holder: holderOf(rs),
    sysctls: want.holding.sysctls,
    loopbackVips: want.holding.addresses.map((a) => a.address),
    previous: previousOf(want.holding, record),
    persistence: (systemd ? "enabled" : "files written") satisfies Persistence,
    drift: [],
  };
}

function previousOf(h: Holding, record: PrepRecord | undefined): Record<string, number> {
  return Object.fromEntries(
    Object.keys(h.sysctls).flatMap((k) => (record?.previous[k] === undefined ? [] : [[k, record.previous[k]]])),
  );
}

const bare = (address: string) => address.replace(/\/32$/, "");

/** The VIPs it declared (the record's, in the order the state lists them) and those still there. */
function vipsOf(props: Obj, h: Holding, status: HoldingStatus): { declared: string[]; present: string[] } {
  const held = h.addresses.map((a) => bare(a.address));
  const listed = Array.isArray(props.vips)
    ? (props.vips as unknown[]).filter((v): v is string => typeof v === "string")
    : [];
  const declared = [...listed.filter((v) => held.includes(v)), ...held.filter((v) => !listed.includes(v))];
  const there = new Set(status.addresses.map((a) => bare(a.address)));
  return { declared, present: declared.filter((v) => there.has(v)) };
}

/**
 * The value found for an ARP setting ("arp_ignore") where the host differs from what it holds (the
 * first of all, lo/tunl0, the interface that does), else what it holds.
 */
function foundSetting(h: Holding, status: HoldingStatus, setting: string): number | undefined {
  const keys = Object.keys(h.sysctls).filter((k) => k.endsWith(`.${setting}`));
  const differs = keys.find((k) => status.sysctls[k] !== undefined && status.sysctls[k] !== h.sysctls[k]);
  return differs === undefined ? (keys[0] === undefined ? undefined : h.sysctls[keys[0]]) : status.sysctls[differs];
}

/** Differences that no input shows: files, units, sysctls other than the ARP pair, sysctls gone. */
function unshownDrift(h: Holding, status: HoldingStatus): string[] {
  const arp = /\.(arp_ignore|arp_announce)$/;
  const sysctls = Object.entries(h.sysctls).flatMap(([k, v]) => {
    const now = status.sysctls[k];
    if (now === undefined) return [`${k} does not exist`];
    return now !== v && !arp.test(k) ? [`${k} is ${now}, not ${v}`] : [];
  });
  return [...sysctls, ...status.fileDrift];
}

/**
 * Read's answer for a resource its host still holds. declared: the inputs it had (the state's);
 * the host's record says what it holds, so a VIP deleted by hand is still known to be its own.
 */
export function readState(
  declared: Obj,
  props: Obj,
  h: Holding,
  status: HoldingStatus,
  record: PrepRecord,
): { props: Obj; inputs: Obj } {
  const { present } = vipsOf(declared, h, status);
  const found = defined({
    vips: present,
    arpIgnore: foundSetting(h, status, "arp_ignore"),
    arpAnnounce: foundSetting(h, status, "arp_announce"),
  });
  const inputs = { ...inputsOf(declared), ...found };
  const persistence: Persistence = status.unitsEnabled ? "enabled" : "files written";
  return {
    inputs,
    props: {
      ...props,
      ...inputs,
      sysctls: status.sysctls,
      loopbackVips: status.addresses.map((a) => a.address),
      previous: previousOf(h, record),
      persistence: status.filesIntact ? persistence : "files missing or changed",
      drift: unshownDrift(h, status),
    },
  };
}

/**
 * A real server's inputs from what its host's record says it holds (`pulumi import`): its VIPs, the
 * interface and forwarding its sysctls and addresses show, the ARP values it set; address: the host.
 */
export function importedInputs(name: string, host: string, h: Holding): Obj {
  const devices = Object.keys(h.sysctls).map((k) => k.split(".")[3]!.replace(/\//g, "."));
  const tunnel = h.addresses.some((a) => a.device === "tunl0");
  const iface = devices.find((d) => !["all", "lo", "tunl0"].includes(d));
  return defined({
    name,
    address: host,
    forwarding: tunnel ? "TUN" : undefined,
    interface: iface === "eth0" ? undefined : iface,
    vips: h.addresses.map((a) => bare(a.address)),
  });
}
