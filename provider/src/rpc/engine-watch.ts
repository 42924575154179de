// Whether the engine that started this plugin is still there (I/O edge). The engine starts the plugin
// as its child, so a parent that changes (the plugin re-parented to init or a subreaper) means the engine
// is gone: `pulumi` killed, its terminal or CI runner stopped. Nobody records what the plugin does after
// that, and the next `pulumi up` would race it on the same hosts, so the plugin stops its operations as
// the engine's Cancel does (each host left as before or as after its operation, its lock released) and
// exits.
import { stopAll, untilIdle } from "../operation/operation.ts";

/** Poll the parent every everyMs; once it is gone, stop every operation, wait for their undo, exit. */
export function watchEngine(everyMs = 500): void {
  const parent = process.ppid;
  // stdout and stderr are pipes to the engine: once it is gone a write to them fails (EPIPE), and an
  // unheard stream error would end the plugin on the spot, mid-operation, before its undo could run.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    const why = `the engine (process ${parent}) is gone: pulumi was killed`;
    process.stderr.write(`lvs: ${why}; stopping every operation, then exiting\n`);
    stopAll(why);
    void untilIdle().then(() => process.exit(0));
  }, everyMs);
  timer.unref();
}
