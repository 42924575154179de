// Progress of a resource operation, for the person running `pulumi up`: each line goes to stderr (the
// plugin's log) and to the engine's Log service as an ephemeral info message on the resource being
// worked on, so the CLI shows it beside that resource while it runs and the Automation API gets it as
// a diagnostic event. The URN comes from the operation in progress (operation.ts), so code deep in an
// install needs no URN argument. Lines name hosts and steps, never a secret. I/O edge.
import { createRequire } from "node:module";
import { getEngine } from "@pulumi/pulumi/runtime/settings.js";
import type * as EngineProto from "@pulumi/pulumi/proto/engine_pb.js";
import { currentUrn } from "./operation.ts";

// The generated module fills its exports at run time, which an ESM import of the bundle cannot see.
const engproto = createRequire(import.meta.url)("@pulumi/pulumi/proto/engine_pb.js") as typeof EngineProto;

/** One line of progress about host. */
export function progress(host: string, what: string): void {
  const line = `${host}: ${what}`;
  process.stderr.write(`lvs: ${line}\n`);
  const urn = currentUrn();
  // No engine outside `pulumi` (the gRPC tests, the SDK's mocks): stderr is all there is.
  const engine = getEngine();
  if (urn === undefined || !engine) return;
  const req = new engproto.LogRequest();
  req.setSeverity(engproto.LogSeverity.INFO);
  req.setMessage(line);
  req.setUrn(urn);
  req.setEphemeral(true);
  // Progress is best effort: an engine that went away must not fail the operation.
  engine.log(req, () => undefined);
}
