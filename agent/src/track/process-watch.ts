// Watches /proc for a tracked process (keepalived vrrp_track_process): every `interval` seconds the
// process table is read and the quorum judged (process.ts); only changes are reported, the first result
// always. Thin I/O.
import { readdir, readFile } from "node:fs/promises";
import type { TrackProcessConfig } from "../config/schema.ts";
import { parseCmdline, processUp, type ProcEntry } from "./process.ts";

/** Every process in `procDir` that could be read (processes that end meanwhile are skipped). */
export async function readProcesses(procDir = "/proc"): Promise<ProcEntry[]> {
  const pids = (await readdir(procDir)).filter((n) => /^\d+$/.test(n));
  const entries = await Promise.all(
    pids.map(async (pid): Promise<ProcEntry | undefined> => {
      try {
        const [comm, cmdline] = await Promise.all([
          readFile(`${procDir}/${pid}/comm`, "utf8"),
          readFile(`${procDir}/${pid}/cmdline`, "utf8"),
        ]);
        return { comm: comm.replace(/\n$/, ""), argv: parseCmdline(cmdline) };
      } catch {
        return undefined;
      }
    }),
  );
  return entries.filter((e): e is ProcEntry => e !== undefined);
}

export class ProcessWatch {
  private timer: NodeJS.Timeout | undefined;
  private last: boolean | undefined;
  private stopped = false;

  constructor(
    private readonly cfg: TrackProcessConfig,
    private readonly onChange: (up: boolean) => void,
    private readonly procDir = "/proc",
  ) {}

  get up(): boolean | undefined {
    return this.last;
  }

  start(): void {
    void this.look();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async look(): Promise<void> {
    const up = processUp(await readProcesses(this.procDir).catch(() => []), this.cfg);
    if (this.stopped) return;
    if (up !== this.last) {
      this.last = up;
      this.onChange(up);
    }
    this.timer = setTimeout(() => void this.look(), this.cfg.interval * 1000);
  }
}
