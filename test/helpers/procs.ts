// Long-running processes inside test hosts, watched through their output lines.
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

export interface Line {
  /** process.hrtime in ms (CLOCK_MONOTONIC: comparable across processes on this machine) */
  t: number;
  text: string;
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Collects a child's stdout and stderr lines with arrival times and lets a test wait for one. */
export class Watched {
  readonly lines: Line[] = [];
  private waiters: { pred: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];

  constructor(readonly child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (text) => this.push({ t: nowMs(), text }));
    }
  }

  private push(l: Line): void {
    this.lines.push(l);
    if (process.env.LVS_TEST_VERBOSE) process.stderr.write(`[${this.child.pid}] ${l.text}\n`);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(l)) return true;
      w.resolve(l);
      return false;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first line (already seen, or still to come, after index `from`) matching pred. */
  waitLine(pred: (l: Line) => boolean, timeoutMs: number, what: string, from = 0): Promise<Line> {
    const seen = this.lines.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        const tail = this.lines
          .slice(-15)
          .map((l) => l.text)
          .join("\n");
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last output:\n${tail}`));
      }, timeoutMs);
      const done = (l: Line) => {
        clearTimeout(timer);
        resolve(l);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  signal(sig: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, sig);
  }

  exited(timeoutMs = 5000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(this.child.exitCode);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`process ${this.pid} did not exit in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }
}

/** The process exists and is not a zombie (a killed child not yet reaped still has a /proc entry). */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
