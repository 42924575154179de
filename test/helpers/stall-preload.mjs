// Test-only preload for lvs-agent (`node --import <this file> ... lvs-agent run`), not pure: on SIGUSR2 it
// blocks the agent's event loop with a busy-wait, as a long synchronous task or a GC pause would. Unlike
// SIGSTOP the process runs (it burns CPU) and its signal handler, timers and sockets simply wait; the
// kernel goes on queueing packets for it. Nothing in the product changes: this is loaded beside it.
//
// The length (ms) is read at each signal from the file named by LVS_STALL_FILE, or else from `stall-ms`
// beside the agent's --config-dir (test/helpers/agent.ts keeps conf.d inside the agent's state dir).
// After each stall it writes one line to stderr:
//   {"event":"test.stall","ms":500,"begin":<ms>,"end":<ms>}
// begin and end are process.hrtime (CLOCK_MONOTONIC) in ms, comparable with the tests' nowMs().
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

function stallFile() {
  if (process.env.LVS_STALL_FILE) return process.env.LVS_STALL_FILE;
  const i = process.argv.indexOf("--config-dir");
  const confDir = i >= 0 ? process.argv[i + 1] : undefined;
  if (!confDir) throw new Error("stall-preload: neither LVS_STALL_FILE nor --config-dir");
  return join(dirname(confDir), "stall-ms");
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

process.on("SIGUSR2", () => {
  const ms = Number(readFileSync(stallFile(), "utf8").trim());
  const begin = now();
  while (now() - begin < ms) {
    // busy: the event loop does nothing else meanwhile
  }
  // Writes to a pipe are synchronous on Linux: the line leaves before the loop goes on.
  process.stderr.write(`${JSON.stringify({ event: "test.stall", ms, begin, end: now() })}\n`);
});
