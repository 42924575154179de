// Entry point of pulumi-resource-lvs: serves the provider over gRPC. provider.main prints the port as
// the first line of stdout, which is how the engine finds it: nothing may be printed to stdout before.
import { main } from "@pulumi/pulumi/provider/index.js";
import { LvsProvider } from "./provider.ts";

const args = process.argv.slice(2);
// The SDK's engine client (progress lines, host/progress.ts) reads the engine's address from this
// variable. The engine passes it as the first argument that is not --logtostderr, -v=N or --tracing ADDR.
const engineAddress = args.filter((a, i) => !(a === "--logtostderr" || a.startsWith("-v=") || a === "--tracing" || args[i - 1] === "--tracing"))[0];
if (engineAddress && !process.env.PULUMI_NODEJS_ENGINE) process.env.PULUMI_NODEJS_ENGINE = engineAddress;
await main(new LvsProvider(), args);
