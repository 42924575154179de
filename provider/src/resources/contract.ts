// What provider.ts asks of each resource's handler (a contract; no code): Create/Read/Update/Delete on
// plain values. It sits below the handlers and the registry (index.ts) that lists them, so neither
// imports the other.
import type { Obj } from "../inputs/common.ts";

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
