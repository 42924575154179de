// Create/Read/Update/Delete by resource type. provider.ts looks the type up here and hands the handler
// plain values (secrets unwrapped, inputs as Check returned them); it wraps the same secrets again in
// what comes back and scrubs every secret value out of errors. A type without a handler here answers
// "not implemented yet". Each handler keeps to the contract in contract.ts.
import type { ResourceHandler } from "./contract.ts";
import { directorSpec } from "./director/spec.ts";
import { realServerSpec } from "./real-server/spec.ts";
import { vipSpec } from "./vip/spec.ts";
import { virtualServerSpec } from "./virtual-server/spec.ts";
import { directorHandler } from "./director/handler.ts";
import { realServerHandler } from "./real-server/handler.ts";
import { vipHandler } from "./vip/handler.ts";
import { virtualServerHandler } from "./virtual-server/handler.ts";

export const HANDLERS: ReadonlyMap<string, ResourceHandler> = new Map([
  [directorSpec.token, directorHandler],
  [realServerSpec.token, realServerHandler],
  [vipSpec.token, vipHandler],
  [virtualServerSpec.token, virtualServerHandler],
]);
