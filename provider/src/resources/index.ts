// Create/Read/Update/Delete by resource type. provider.ts looks the type up here and hands the handler
// plain values (secrets unwrapped, inputs as Check returned them); it wraps the same secrets again in
// what comes back and scrubs every secret value out of errors. A type without a handler here answers
// "not implemented yet".
import type { Obj } from "../inputs/common.ts";
import { directorSpec } from "../inputs/director.ts";
import { realServerSpec } from "../inputs/real-server.ts";
import { vipSpec } from "../inputs/vip.ts";
import { virtualServerSpec } from "../inputs/virtual-server.ts";
import { directorHandler } from "./director.ts";
import { realServerHandler } from "./real-server.ts";
import { vipHandler } from "./vip.ts";
import { virtualServerHandler } from "./virtual-server.ts";

export interface ResourceHandler {
  /** id and outputs (the inputs and what the resource computed) */
  create(inputs: Obj): Promise<{ id: string; outs: Obj }>;
  /**
   * The state as found: an empty id when the resource is gone. props: the last state; inputs: the
   * inputs it was declared with. The answer's inputs are the declared ones with what the hosts hold in
   * their place, under the same keys. On `pulumi import` (importing) props is {} and inputs what the id names
   * (with the config's connection): then an object not there is an error saying what was looked for
   * and where, and the answer's inputs are what the host holds.
   */
  read(id: string, props: Obj, inputs: Obj, importing: boolean): Promise<{ id: string; props: Obj; inputs: Obj }>;
  /** olds: the last state; news: checked inputs; returns the new outputs */
  update(id: string, olds: Obj, news: Obj): Promise<Obj>;
  delete(id: string, props: Obj): Promise<void>;
}

export const HANDLERS: ReadonlyMap<string, ResourceHandler> = new Map([
  [directorSpec.token, directorHandler],
  [realServerSpec.token, realServerHandler],
  [vipSpec.token, vipHandler],
  [virtualServerSpec.token, virtualServerHandler],
]);
