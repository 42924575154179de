// Sysctls as data (as seesaw does): the keys a director may need, what each is for and which values
// are valid, plus a pure planner (wanted vs current -> writes) and a thin /proc/sys reader/writer.
import { readFile, writeFile } from "node:fs/promises";
import { shown } from "../config/fields.ts";

export interface SysctlSpec {
  /** what the setting is for, shown when it is rejected */
  why: string;
  /** allowed values */
  values: readonly number[];
}

const BOOL = [0, 1] as const;

/** Director sysctls the agent manages. Keys as `sysctl` names them. */
export const DIRECTOR_SYSCTLS: Record<string, SysctlSpec> = {
  "net.ipv4.ip_forward": {
    why: "NAT forwarding: replies from real servers are routed back through the director",
    values: BOOL,
  },
  "net.ipv4.vs.conn_reuse_mode": {
    why: "reschedule reused source ports (1, default) instead of sticking to a dead real server (0)",
    values: [0, 1, 2],
  },
  "net.ipv4.vs.expire_nodest_conn": {
    why: "drop connections whose real server was removed instead of blackholing them",
    values: BOOL,
  },
  "net.ipv4.vs.expire_quiescent_template": {
    why: "expire persistence templates of a real server at weight 0",
    values: BOOL,
  },
  "net.ipv4.vs.sloppy_tcp": {
    why: "accept mid-stream TCP after a director failover (with the sync daemon)",
    values: BOOL,
  },
  "net.ipv4.vs.sloppy_sctp": { why: "accept mid-stream SCTP after a director failover", values: BOOL },
  "net.ipv4.vs.conntrack": {
    why: "keep netfilter conntrack entries for IPVS connections (needed by some NAT set-ups)",
    values: BOOL,
  },
  "net.ipv4.vs.snat_reroute": { why: "route NAT replies by their new source address", values: BOOL },
  "net.ipv4.vs.schedule_icmp": { why: "schedule ICMP to real servers", values: BOOL },
  "net.ipv4.vs.pmtu_disc": { why: "path MTU discovery for tunnelled (TUN) packets", values: BOOL },
  "net.ipv4.vs.sync_version": { why: "connection sync protocol version (1 for current kernels)", values: BOOL },
  "net.ipv4.conf.all.send_redirects": {
    why: "NAT directors should not send ICMP redirects to real servers (0)",
    values: BOOL,
  },
  "net.ipv4.conf.default.send_redirects": {
    why: "as conf.all.send_redirects, for interfaces created later",
    values: BOOL,
  },
};

export interface SysctlWrite {
  key: string;
  from: string | undefined;
  to: string;
}

/** /proc/sys path of a key: dots separate levels (interface names with dots use "/" in the key). */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, "/")}`;
}

/** Problems with wanted settings, each with its key; empty when all are known and valid. */
export function sysctlProblems(
  wanted: Record<string, number | string>,
  table: Record<string, SysctlSpec> = DIRECTOR_SYSCTLS,
): { key: string; message: string }[] {
  return Object.entries(wanted).flatMap(([key, value]) => {
    const spec = Object.hasOwn(table, key) ? table[key] : undefined; // "constructor" is no setting
    if (!spec) return [{ key, message: `not a setting the agent manages (known: ${Object.keys(table).join(", ")})` }];
    const allowed = `must be one of ${spec.values.join(", ")} (${spec.why})`;
    // A string must be the digits themselves: Number() reads "" as 0 and "1e0" as 1, and the kernel,
    // which is written the string, refuses both.
    if (typeof value === "string" && !/^-?\d+$/.test(value))
      return [
        {
          key,
          message: `${allowed}, got ${shown(value)}: give the number itself, such as ${spec.values[spec.values.length - 1]}`,
        },
      ];
    if (!spec.values.includes(Number(value))) return [{ key, message: `${allowed}, got ${value}` }];
    return [];
  });
}

/** The writes that bring current to wanted; none when they already agree. */
export function planSysctls(
  wanted: Record<string, number | string>,
  current: Record<string, string | undefined>,
): SysctlWrite[] {
  return Object.entries(wanted)
    .filter(([key, v]) => current[key]?.trim() !== String(v))
    .map(([key, v]) => ({ key, from: current[key]?.trim(), to: String(v) }));
}

export async function readSysctl(key: string): Promise<string | undefined> {
  try {
    return (await readFile(sysctlPath(key), "utf8")).trim();
  } catch {
    return undefined;
  }
}

export async function readSysctls(keys: string[]): Promise<Record<string, string | undefined>> {
  return Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await readSysctl(k)] as const)));
}

export async function writeSysctl(key: string, value: string): Promise<void> {
  try {
    await writeFile(sysctlPath(key), `${value}\n`);
  } catch (err) {
    throw new Error(`cannot set ${key}=${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Apply wanted; returns what changed (from -> to) for the log. */
export async function applySysctls(wanted: Record<string, number | string>): Promise<SysctlWrite[]> {
  const writes = planSysctls(wanted, await readSysctls(Object.keys(wanted)));
  for (const w of writes) await writeSysctl(w.key, w.to);
  return writes;
}
