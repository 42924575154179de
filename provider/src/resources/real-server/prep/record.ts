// Shared host preparation, reference-counted (pure). Several resources can need the same sysctl or
// address on one host (two RealServers for ports 80 and 443 of one VIP). A record kept on the host lists
// each holder's needs, the value each changed sysctl had before the first holder changed it, and the
// addresses the provider added (an address that was there before is never ours to remove).
//
// reconcile() turns (record, one holder's new needs or its release, the host's actual state) into
// ordered operations and the record after them. The record is written ahead of any change, holding
// the previous values and the addresses about to be added, and pruned at the end: a run interrupted at
// any point and run again converges, and the last release still restores the values from before.
import { createHash } from "node:crypto";
import { z } from "zod";

export const Address = z.object({ address: z.string(), device: z.string() });
export type Address = z.infer<typeof Address>;

/** What one holder needs on the host. */
export const Holding = z.object({
  /** sysctl key -> value */
  sysctls: z.record(z.string(), z.number().int()),
  addresses: z.array(Address),
  /** files it owns: path -> sha256 of the content it wrote */
  files: z.record(z.string(), z.string()),
  /** systemd units (names) to enable where systemd runs */
  units: z.array(z.string()),
});
export type Holding = z.infer<typeof Holding>;

export const PrepRecord = z.object({
  version: z.literal(1),
  holders: z.record(z.string(), Holding),
  /** sysctl key -> its value before any holder changed it */
  previous: z.record(z.string(), z.number().int()),
  /** addresses the provider added (to remove when no holder needs them) */
  added: z.array(Address),
  /** files and units a holder gave up, to remove even when the run that dropped them was cut short */
  stale: z.object({ files: z.array(z.string()), units: z.array(z.string()) }).default({ files: [], units: [] }),
});
export type PrepRecord = z.infer<typeof PrepRecord>;

/** A holder's needs, with the content of its files. */
export interface Want {
  holding: Holding;
  contents: Record<string, string>;
}

/** The host as read: undefined where a sysctl or file does not exist. */
export interface Actual {
  sysctls: Record<string, number | undefined>;
  addresses: Address[];
  files: Record<string, string | undefined>;
  /** systemd runs there: units can be enabled */
  systemd: boolean;
  enabled: Record<string, boolean>;
}

export type Op =
  | { kind: "record"; content: string | undefined; was: string | undefined }
  | { kind: "sysctl"; key: string; value: number; was: number }
  | { kind: "addr-add"; address: string; device: string }
  | { kind: "addr-del"; address: string; device: string }
  | { kind: "file-write"; path: string; content: string; was: string | undefined }
  | { kind: "file-delete"; path: string; was: string }
  | { kind: "daemon-reload" }
  | { kind: "unit-enable"; unit: string }
  | { kind: "unit-disable"; unit: string };

export interface Reconciled {
  ops: Op[];
  /** the record once ops are done (undefined: no holder left, the record is removed) */
  record: PrepRecord | undefined;
  /** reasons not to touch the host at all; ops is empty when there are any */
  problems: string[];
}

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");
const addrKey = (a: Address): string => `${a.address} dev ${a.device}`;
const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

function uniqueAddrs(list: Address[]): Address[] {
  const seen = new Map(list.map((a) => [addrKey(a), { address: a.address, device: a.device }]));
  return [...seen.values()].sort(byKey(addrKey));
}

function sortedObj<V>(o: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The record's file text: stable order, so equal records are equal bytes. */
export function recordText(r: PrepRecord | undefined): string | undefined {
  if (!r) return undefined;
  const holders = Object.fromEntries(
    Object.entries(sortedObj(r.holders)).map(([k, h]) => [
      k,
      {
        sysctls: sortedObj(h.sysctls),
        addresses: uniqueAddrs(h.addresses),
        files: sortedObj(h.files),
        units: [...new Set(h.units)].sort(),
      },
    ]),
  );
  const stale = { files: [...new Set(r.stale.files)].sort(), units: [...new Set(r.stale.units)].sort() };
  return `${JSON.stringify({ version: 1, holders, previous: sortedObj(r.previous), added: uniqueAddrs(r.added), stale }, null, 2)}\n`;
}

/** The record in a file's text; an unreadable record is an error (never overwritten blindly). */
export function parseRecord(text: string | undefined, path: string): PrepRecord | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`state record ${path} is not JSON (${(err as Error).message}); fix or remove it`);
  }
  const r = PrepRecord.safeParse(json);
  if (!r.success)
    throw new Error(`state record ${path} is not a version 1 record (${r.error.issues[0]?.message}); fix or remove it`);
  return r.data;
}

/** Every sysctl the holders need; a key two holders want at different values is a problem. */
function wantedSysctls(holders: Record<string, Holding>, problems: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  const by: Record<string, string> = {};
  for (const [name, h] of Object.entries(sortedObj(holders))) {
    for (const [key, value] of Object.entries(h.sysctls)) {
      if (out[key] !== undefined && out[key] !== value)
        problems.push(`${key}: ${by[key]} needs ${out[key]} but ${name} needs ${value}`);
      else [out[key], by[key]] = [value, name];
    }
  }
  return out;
}

/**
 * The operations that take the host from `actual` to what the holders need, `holder` holding `want`
 * (or released when want is undefined). Order: record (ahead), sysctls, addresses added, addresses
 * removed, sysctls restored, units disabled, files, units enabled, record (final). Sysctls change before
 * addresses appear and are restored only after they are gone: a VIP on lo with the kernel's default ARP
 * behaviour would be answered for.
 */
export function reconcile(
  current: PrepRecord | undefined,
  currentText: string | undefined,
  holder: string,
  want: Want | undefined,
  actual: Actual,
): Reconciled {
  const holders = { ...current?.holders };
  const before = holders[holder];
  if (want) holders[holder] = want.holding;
  else delete holders[holder];

  const problems: string[] = [];
  const sysctls = wantedSysctls(holders, problems);
  for (const key of Object.keys(want?.holding.sysctls ?? {})) {
    if (actual.sysctls[key] === undefined) problems.push(`${key} does not exist on the host${missingHint(key)}`);
  }
  if (problems.length > 0) return { ops: [], record: current, problems };

  const present = new Set(actual.addresses.map(addrKey));
  const wantedAddrs = uniqueAddrs(Object.values(holders).flatMap((h) => h.addresses));
  const wanted = new Set(wantedAddrs.map(addrKey));
  const toAdd = wantedAddrs.filter((a) => !present.has(addrKey(a)));
  const previous = { ...current?.previous };
  for (const key of Object.keys(sysctls)) previous[key] ??= actual.sysctls[key]!;
  const stale = staleOf(current, before, want);
  const ahead: PrepRecord = {
    version: 1,
    holders,
    previous,
    added: uniqueAddrs([...(current?.added ?? []), ...toAdd]),
    stale,
  };

  const ops: Op[] = [];
  // With nothing to remember (a release of a holder already gone), there is no record to write ahead.
  const empty = [holders, previous, ahead.added, stale.files, stale.units].every((x) => Object.keys(x).length === 0);
  const aheadText = empty ? undefined : recordText(ahead);
  if (aheadText !== currentText) ops.push({ kind: "record", content: aheadText, was: currentText });
  for (const [key, value] of Object.entries(sysctls)) {
    const was = actual.sysctls[key];
    if (was !== undefined && was !== value) ops.push({ kind: "sysctl", key, value, was });
  }
  ops.push(...toAdd.map((a) => ({ kind: "addr-add" as const, ...a })));
  const removed = ahead.added.filter((a) => !wanted.has(addrKey(a)));
  ops.push(...removed.filter((a) => present.has(addrKey(a))).map((a) => ({ kind: "addr-del" as const, ...a })));
  for (const [key, value] of Object.entries(previous)) {
    const was = actual.sysctls[key];
    if (sysctls[key] === undefined && was !== undefined && was !== value) ops.push({ kind: "sysctl", key, value, was });
  }
  ops.push(...fileOps(stale, want, actual));

  const final: PrepRecord = {
    version: 1,
    holders,
    previous: Object.fromEntries(Object.entries(previous).filter(([k]) => sysctls[k] !== undefined)),
    added: ahead.added.filter((a) => wanted.has(addrKey(a))),
    stale: { files: [], units: [] },
  };
  const record = Object.keys(holders).length > 0 ? final : undefined;
  const finalText = recordText(record);
  const lastText = ops[0]?.kind === "record" ? aheadText : currentText;
  if (finalText !== lastText) ops.push({ kind: "record", content: finalText, was: lastText });
  return { ops, record, problems: [] };
}

function missingHint(key: string): string {
  const dev = /^net\.ipv4\.conf\.([^.]+)\./.exec(key)?.[1];
  return dev && dev !== "all" && dev !== "default" ? ` (no interface ${dev.replace(/\//g, ".")} there?)` : "";
}

/** Files and units given up: the record's stale ones, and the holder's own it no longer wants. */
function staleOf(
  current: PrepRecord | undefined,
  before: Holding | undefined,
  want: Want | undefined,
): PrepRecord["stale"] {
  const keepFiles = want?.holding.files ?? {};
  const keepUnits = new Set(want?.holding.units ?? []);
  const files = [...(current?.stale.files ?? []), ...Object.keys(before?.files ?? {})].filter(
    (p) => keepFiles[p] === undefined,
  );
  const units = [...(current?.stale.units ?? []), ...(before?.units ?? [])].filter((u) => !keepUnits.has(u));
  return { files: [...new Set(files)].sort(), units: [...new Set(units)].sort() };
}

/** Stale units off, stale files gone, wanted files written, wanted units on (systemd hosts only). */
function fileOps(stale: PrepRecord["stale"], want: Want | undefined, actual: Actual): Op[] {
  const keepUnits = new Set(want?.holding.units ?? []);
  const ops: Op[] = [];
  if (actual.systemd)
    ops.push(...stale.units.filter((u) => actual.enabled[u]).map((unit) => ({ kind: "unit-disable" as const, unit })));
  for (const path of stale.files) {
    const was = actual.files[path];
    if (was !== undefined) ops.push({ kind: "file-delete", path, was });
  }
  for (const [path, content] of Object.entries(want?.contents ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (actual.files[path] !== content) ops.push({ kind: "file-write", path, content, was: actual.files[path] });
  }
  if (!actual.systemd) return ops;
  const units = [...keepUnits, ...stale.units];
  const unitFileChanged = ops.some(
    (o) => (o.kind === "file-write" || o.kind === "file-delete") && units.some((u) => o.path.endsWith(`/${u}`)),
  );
  const enable = [...keepUnits].filter((u) => !actual.enabled[u]);
  if (unitFileChanged || enable.length > 0) ops.push({ kind: "daemon-reload" });
  return [...ops, ...enable.map((unit) => ({ kind: "unit-enable" as const, unit }))];
}

/** The operation that undoes op (undefined: nothing to undo). */
export function inverse(op: Op): Op | undefined {
  switch (op.kind) {
    case "record":
      return { kind: "record", content: op.was, was: op.content };
    case "sysctl":
      return { kind: "sysctl", key: op.key, value: op.was, was: op.value };
    case "addr-add":
      return { ...op, kind: "addr-del" };
    case "addr-del":
      return { ...op, kind: "addr-add" };
    case "file-write":
      return op.was === undefined
        ? { kind: "file-delete", path: op.path, was: op.content }
        : { kind: "file-write", path: op.path, content: op.was, was: op.content };
    case "file-delete":
      return { kind: "file-write", path: op.path, content: op.was, was: undefined };
    case "unit-enable":
      return { kind: "unit-disable", unit: op.unit };
    case "unit-disable":
      return { kind: "unit-enable", unit: op.unit };
    case "daemon-reload":
      return op;
  }
}

/** What to read on the host before reconciling: every sysctl, file and unit the record or want names. */
export function toRead(
  current: PrepRecord | undefined,
  want: Want | undefined,
): { sysctls: string[]; files: string[]; units: string[] } {
  const holdings = [...Object.values(current?.holders ?? {}), ...(want ? [want.holding] : [])];
  const sysctls = [...holdings.flatMap((h) => Object.keys(h.sysctls)), ...Object.keys(current?.previous ?? {})];
  const files = [...holdings.flatMap((h) => Object.keys(h.files)), ...(current?.stale.files ?? [])];
  const units = [...holdings.flatMap((h) => h.units), ...(current?.stale.units ?? [])];
  const uniq = (l: string[]) => [...new Set(l)].sort();
  return { sysctls: uniq(sysctls), files: uniq(files), units: uniq(units) };
}

/** How one holder's needs stand on the host: actual values, and whether everything is as it wants. */
export interface HoldingStatus {
  sysctls: Record<string, number | undefined>;
  /** its addresses that are there */
  addresses: Address[];
  /** its files whose content is what it wrote */
  filesIntact: boolean;
  /** its units enabled (false where systemd does not run) */
  unitsEnabled: boolean;
  inSync: boolean;
  /** each file missing or changed, and each unit not enabled where systemd runs, in words */
  fileDrift: string[];
}

export function holdingStatus(h: Holding, actual: Actual): HoldingStatus {
  const present = new Set(actual.addresses.map(addrKey));
  const sysctls = Object.fromEntries(Object.keys(h.sysctls).map((k) => [k, actual.sysctls[k]]));
  const addresses = h.addresses.filter((a) => present.has(addrKey(a)));
  const files = Object.entries(h.files).flatMap(([p, hash]) => {
    const text = actual.files[p];
    return text === undefined ? [`${p} missing`] : sha256(text) === hash ? [] : [`${p} changed`];
  });
  const filesIntact = files.length === 0;
  const unitsEnabled = actual.systemd && h.units.every((u) => actual.enabled[u]);
  const units = actual.systemd ? h.units.filter((u) => !actual.enabled[u]).map((u) => `unit ${u} not enabled`) : [];
  const sysctlsOk = Object.entries(h.sysctls).every(([k, v]) => actual.sysctls[k] === v);
  const inSync =
    sysctlsOk && addresses.length === h.addresses.length && filesIntact && (!actual.systemd || unitsEnabled);
  return { sysctls, addresses, filesIntact, unitsEnabled, inSync, fileDrift: [...files, ...units] };
}
