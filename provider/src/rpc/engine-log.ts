// The engine's Log service (I/O edge): where progress lines go so the CLI shows them beside the resource
// being worked on. The engine gives the plugin its address at start (main.ts); outside `pulumi` (the
// gRPC tests, the SDK's mocks) there is none and nothing is sent.
import * as grpc from "@grpc/grpc-js";
import type * as EngineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb.js";
import { engineGrpc, enginePb } from "./stubs.ts";

let engine: EngineGrpc.EngineClient | undefined;

/** Logs go to the engine at `address` from now on. */
export function connectEngine(address: string): void {
  engine = new engineGrpc.EngineClient(address, grpc.credentials.createInsecure());
}

/**
 * A line on resource `urn`: info is ephemeral (progress), a warning stays in the CLI's diagnostics.
 * Best effort: an engine that went away must not fail the operation.
 */
export function logToEngine(urn: string, message: string, severity: "info" | "warning" = "info"): void {
  if (!engine) return;
  const req = new enginePb.LogRequest();
  req.setSeverity(severity === "warning" ? enginePb.LogSeverity.WARNING : enginePb.LogSeverity.INFO);
  req.setMessage(message);
  req.setUrn(urn);
  req.setEphemeral(severity === "info");
  engine.log(req, () => undefined);
}
