// The lvs provider: dispatches each call by resource type to that resource's input contract
// (inputs/*.ts). Check validates and normalizes, Diff decides replace vs update; both work on plain
// values between unwrapping the engine's secrets and wrapping them again (secrets.ts).
// Create/Read/Update/Delete go to the resource's handler (resources/index.ts) on plain values too; a
// type without one says so: it never pretends to succeed.
import type * as pulumi from "@pulumi/pulumi/provider/index.js";
import schemaJson from "../schema.json" with { type: "json" };
import { formatPath } from "./inputs/check.ts";
import type { AnySpec } from "./inputs/check.ts";
import { diffInputs } from "./inputs/changes.ts";
import { isObject, type Obj } from "./inputs/common.ts";
import { withResource } from "./host/progress.ts";
import { RESOURCES } from "./inputs/index.ts";
import { HANDLERS, type ResourceHandler } from "./resources/index.ts";
import { scrub, secretKeyPaths, secretTexts, unwrapSecrets, wrapSecrets, type Path } from "./secrets.ts";

export const VERSION = schemaJson.version;

/** "urn:pulumi:stack::project::lvs:index:Vip::web" -> type token and resource name. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return { type: qualified.split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

function specFor(urn: string): AnySpec {
  const { type } = parseUrn(urn);
  const spec = RESOURCES.get(type);
  if (!spec) throw new Error(`unknown resource type ${JSON.stringify(type)} (this provider has ${[...RESOURCES.keys()].join(", ")})`);
  return spec;
}

/** JSON-clean (no undefined, which the gRPC Struct cannot carry) with secrets wrapped again. */
function toWire(value: Obj, secretPaths: readonly Path[]): Obj {
  const clean = JSON.parse(JSON.stringify(value)) as Obj;
  return wrapSecrets(clean, [...secretPaths, ...secretKeyPaths(clean)]) as Obj;
}

function plainObject(value: unknown): { plain: Obj; secretPaths: Path[] } {
  const { value: plain, secretPaths } = unwrapSecrets(value ?? {});
  return { plain: isObject(plain) ? plain : {}, secretPaths };
}

function notImplemented(urn: string, op: string): Error {
  const kind = specFor(urn).token.split(":").pop();
  return new Error(`not implemented yet: ${kind} ${op} needs the SSH executor`);
}

function handlerFor(urn: string, op: string): ResourceHandler {
  const handler = HANDLERS.get(specFor(urn).token);
  if (!handler) throw notImplemented(urn, op);
  return handler;
}

/**
 * Run a handler as the operation on urn (its progress lines are shown on that resource); its error
 * leaves with every secret value of the request (marked or by key) scrubbed.
 */
async function scrubbed<T>(urn: string, request: unknown, secretPaths: readonly Path[], fn: () => Promise<T>): Promise<T> {
  try {
    return await withResource(urn, fn);
  } catch (err) {
    const secrets = secretTexts(request, [...secretPaths, ...secretKeyPaths(request)]);
    throw new Error(scrub(err instanceof Error ? err.message : String(err), secrets));
  }
}

export class LvsProvider implements pulumi.Provider {
  readonly version = VERSION;

  async getSchema(): Promise<string> {
    return JSON.stringify(schemaJson);
  }

  async check(urn: string, _olds: unknown, news: unknown): Promise<pulumi.CheckResult> {
    const spec = specFor(urn);
    const { plain, secretPaths } = plainObject(news);
    const raw = spec.named && plain.name === undefined ? { ...plain, name: parseUrn(urn).name } : plain;
    const result = spec.check(raw);
    if (result.inputs) return { inputs: toWire(result.inputs, secretPaths) };
    const secrets = secretTexts(plain, [...secretPaths, ...secretKeyPaths(plain)]);
    const failures = result.problems.map((p) => ({ property: formatPath(p.path), reason: scrub(p.message, secrets) }));
    return { inputs: news, failures };
  }

  async diff(_id: string, urn: string, olds: unknown, news: unknown): Promise<pulumi.DiffResult> {
    const { changes, replaces, deleteBeforeReplace } = diffInputs(specFor(urn), plainObject(olds).plain, plainObject(news).plain);
    return { changes, replaces, deleteBeforeReplace };
  }

  async create(urn: string, news: unknown): Promise<pulumi.CreateResult> {
    const handler = handlerFor(urn, "create");
    const { plain, secretPaths } = plainObject(news);
    return scrubbed(urn, plain, secretPaths, async () => {
      const { id, outs } = await handler.create(plain);
      return { id, outs: toWire(outs, secretPaths) };
    });
  }

  async read(id: string, urn: string, props?: unknown): Promise<pulumi.ReadResult> {
    const handler = handlerFor(urn, "read");
    const { plain, secretPaths } = plainObject(props);
    return scrubbed(urn, plain, secretPaths, async () => {
      const r = await handler.read(id, plain);
      return { id: r.id, props: toWire(r.props, secretPaths), inputs: toWire(r.inputs, secretPaths) };
    });
  }

  async update(id: string, urn: string, olds: unknown, news: unknown): Promise<pulumi.UpdateResult> {
    const handler = handlerFor(urn, "update");
    const old = plainObject(olds);
    const { plain, secretPaths } = plainObject(news);
    return scrubbed(urn, { old: old.plain, new: plain }, [...old.secretPaths.map((p) => ["old", ...p]), ...secretPaths.map((p) => ["new", ...p])], async () => ({
      outs: toWire(await handler.update(id, old.plain, plain), secretPaths),
    }));
  }

  async delete(id: string, urn: string, props: unknown): Promise<void> {
    const handler = handlerFor(urn, "delete");
    const { plain, secretPaths } = plainObject(props);
    await scrubbed(urn, plain, secretPaths, () => handler.delete(id, plain));
  }
}

/**
 * The state Create returns for checked inputs (as on the wire): the inputs, plus what the resource
 * computes from them, with the same secrets wrapped. Used by the SDK's program tests as their mocks.
 */
export function outputsFor(type: string, checkedInputs: unknown): Obj {
  const spec = RESOURCES.get(type);
  if (!spec) throw new Error(`unknown resource type ${type}`);
  const { plain, secretPaths } = plainObject(checkedInputs);
  return toWire({ ...plain, ...spec.computed(plain) }, secretPaths);
}
