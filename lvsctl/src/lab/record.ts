// What a lab made and where it keeps it (thin I/O): /var/lib/lvs-lab/<name>/lab.json lists the lab's
// options, its /24 slot and every long-running process it started (PID and what its command line must
// hold, so a recycled PID is never killed). It is written before anything is made and after each step,
// so `lab down` can remove a lab that failed halfway.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { MAX_LABS, type LabOptions } from "./topology.ts";

export const LAB_ROOT = "/var/lib/lvs-lab";

export interface LabProcess {
  /** "d1 guest", "rs1 nginx" */
  what: string;
  pid: number;
  /** a string its /proc/<pid>/cmdline holds */
  cmdline: string;
}

export interface LabRecord {
  options: LabOptions;
  slot: number;
  created: string;
  /** "hosts", "deployed", "failed: ..." */
  phase: string;
  processes: LabProcess[];
}

export const labDir = (name: string): string => join(LAB_ROOT, name);
const recordPath = (name: string) => join(labDir(name), "lab.json");

export function readRecord(name: string): LabRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(name), "utf8")) as LabRecord;
  } catch {
    return undefined;
  }
}

export function writeRecord(r: LabRecord): void {
  mkdirSync(labDir(r.options.name), { recursive: true, mode: 0o700 });
  const tmp = `${recordPath(r.options.name)}.tmp`;
  writeFileSync(tmp, JSON.stringify(r, null, 2));
  renameSync(tmp, recordPath(r.options.name));
}

export function labNames(): string[] {
  if (!existsSync(LAB_ROOT)) return [];
  return readdirSync(LAB_ROOT).filter((n) => existsSync(recordPath(n)));
}

/** The lowest /24 slot no other lab holds. */
export function freeSlot(): number {
  const used = new Set(labNames().map((n) => readRecord(n)?.slot));
  for (let s = 0; s < MAX_LABS; s++) if (!used.has(s)) return s;
  throw new Error(`${MAX_LABS} labs exist already: remove one with lvsctl lab down --name <name>`);
}

/** A zombie has ended (SIGKILL cannot end it again): its parent, or this machine's init, reaps it late. */
export function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** The process still runs and is the one recorded (not a PID the kernel gave to another since). */
export function isRecordedProcess(p: LabProcess): boolean {
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes(p.cmdline) && !isZombie(p.pid);
  } catch {
    return false;
  }
}

/**
 * Every live process whose command line names this lab's directory: a guest's kernel and the helper
 * processes it forks (recorded or not), its sshd and nginx. Zombies are left out (their cmdline is empty).
 */
export function processesOfLab(name: string): number[] {
  const mark = `${labDir(name)}/`;
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(mark)) found.push(Number(entry));
    } catch {
      /* exited while we looked */
    }
  }
  return found;
}
