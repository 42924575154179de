// Entry point of pulumi-resource-lvs: serves the provider over gRPC. provider.main prints the port as
// the first line of stdout, which is how the engine finds it: nothing may be printed to stdout before.
import { main } from "@pulumi/pulumi/provider/index.js";
import { LvsProvider } from "./provider.ts";

await main(new LvsProvider(), process.argv.slice(2));
