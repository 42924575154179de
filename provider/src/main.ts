// Entry point of pulumi-resource-lvs: serves the provider over gRPC (rpc/server.ts), which prints the
// port as the first line of stdout: that is how the engine finds it, so nothing may be printed before.
import { LvsProvider } from "./provider.ts";
import { connectEngine } from "./rpc/engine-log.ts";
import { watchEngine } from "./rpc/engine-watch.ts";
import { serve } from "./rpc/server.ts";

const args = process.argv.slice(2);
// Progress lines (operation/progress.ts) go to the engine's Log service. The engine passes its address as
// the first argument that is not --logtostderr, -v=N or --tracing ADDR.
const engineAddress = args.filter(
  (a, i) => !(a === "--logtostderr" || a.startsWith("-v=") || a === "--tracing" || args[i - 1] === "--tracing"),
)[0];
if (engineAddress) connectEngine(engineAddress);
// An error no operation caught is this process's fault: say so on stderr (the engine's plugin log) and keep serving.
process.on("unhandledRejection", (err) =>
  process.stderr.write(`lvs: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`),
);
// A plugin whose engine was killed stops its operations and exits rather than go on unseen.
watchEngine();
await serve(new LvsProvider());
