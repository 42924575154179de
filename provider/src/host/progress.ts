// Progress of a resource operation, for the person running `pulumi up`: each line goes to stderr (the
// plugin's log) and to the engine's Log service as an ephemeral info message on the resource being
// worked on, so the CLI shows it beside that resource while it runs and the Automation API gets it as
// a diagnostic event. The URN comes from the operation's async context (withResource), so code deep in
// an install needs no URN argument. Lines name hosts and steps, never a secret. I/O edge.
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import { getEngine } from "@pulumi/pulumi/runtime/settings.js";
import type * as EngineProto from "@pulumi/pulumi/proto/engine_pb.js";

// The generated module fills its exports at run time, which an ESM import of the bundle cannot see.
const engproto = createRequire(import.meta.url)("@pulumi/pulumi/proto/engine_pb.js") as typeof EngineProto;

const operation = new AsyncLocalStorage<string>();

/** Run fn as the operation on urn: progress() inside it is shown on that resource. */
export function withResource<T>(urn: string, fn: () => Promise<T>): Promise<T> {
  return operation.run(urn, fn);
}

/** One line of progress about host. */
export function progress(host: string, what: string): void {
  const line = `${host}: ${what}`;
  process.stderr.write(`lvs: ${line}\n`);
  const urn = operation.getStore();
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
