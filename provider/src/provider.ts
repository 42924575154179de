// The lvs provider: dispatches each call by resource type to that resource's input contract
// (inputs/*.ts). Check validates and normalizes (the provider config's SSH defaults filled in), Diff
// decides replace vs update per property; both work on plain values between unwrapping the engine's
// secrets and wrapping them again (secrets.ts). Create/Read/Update/Delete go to the resource's handler
// (resources/index.ts) on plain values too, each as an operation (operation/operation.ts) that Cancel and
// customTimeouts stop at a safe point. A preview touches no host: it answers what the inputs compute,
// and unknowns for what only the hosts can say. Served over gRPC by rpc/server.ts.
import { z } from "zod";
import schemaJson from "../schema.json" with { type: "json" };
import { formatPath } from "./inputs/check.ts";
import type { AnySpec } from "./inputs/check.ts";
import { diffInputs, withDrift, type Changes } from "./inputs/changes.ts";
import { isObject, type Obj } from "./inputs/common.ts";
import { stopAll, withOperation } from "./operation/operation.ts";
import {
  applyConfigDefaults,
  checkProviderConfig,
  connectionsFrom,
  normalizeConfig,
  ProviderConfig,
  type ConfigProblem,
} from "./inputs/provider-config.ts";
import { RESOURCES } from "./resources/specs.ts";
import type { ResourceHandler } from "./resources/contract.ts";
import { HANDLERS } from "./resources/index.ts";
import {
  safeReason,
  scrub,
  secretKeyPaths,
  secretTexts,
  UNKNOWN,
  unwrapSecrets,
  wrapSecrets,
  type Path,
} from "./secrets.ts";

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
  if (!spec)
    throw new Error(
      `unknown resource type ${JSON.stringify(type)} (this provider has ${[...RESOURCES.keys()].join(", ")})`,
    );
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

/** Per operation: a preview touches nothing; timeout is customTimeouts' seconds (0: none). */
export interface OperationOptions {
  preview?: boolean;
  timeout?: number;
}

export interface CheckAnswer {
  inputs: Obj;
  failures: ConfigProblem[];
}

/**
 * Run a handler as the operation on urn (its progress lines are shown on that resource, Cancel and the
 * timeout stop it at a safe point); its error leaves with every secret value of the request (marked
 * or by key) scrubbed.
 */
async function scrubbed<T>(
  urn: string,
  request: unknown,
  secretPaths: readonly Path[],
  fn: () => Promise<T>,
  timeout = 0,
): Promise<T> {
  try {
    return await withOperation(urn, fn, timeout);
  } catch (err) {
    const secrets = secretTexts(request, [...secretPaths, ...secretKeyPaths(request)]);
    throw new Error(scrub(err instanceof Error ? err.message : String(err), secrets));
  }
}

/** What a preview answers: the inputs and what they compute; every other output unknown until applied. */
function previewOutputs(spec: AnySpec, inputs: Obj): Obj {
  const known = { ...inputs, ...spec.computed(inputs) };
  const keys = spec.outputs instanceof z.ZodObject ? Object.keys(spec.outputs.shape) : [];
  return { ...known, ...Object.fromEntries(keys.filter((k) => known[k] === undefined).map((k) => [k, UNKNOWN])) };
}

export class LvsProvider {
  readonly version = VERSION;
  private config: ProviderConfig = {};

  async getSchema(): Promise<string> {
    return JSON.stringify(schemaJson);
  }

  checkConfig(news: Obj): CheckAnswer {
    const { plain, secretPaths } = plainObject(news);
    const config = normalizeConfig(plain);
    const { problems } = checkProviderConfig(config);
    // Marked secret by the program (a secret config value) or secret by its key (a private key).
    const secrets = [...secretTexts(plain, secretPaths), ...secretTexts(config, secretKeyPaths(config))];
    return {
      inputs: toWire(config, secretPaths),
      failures: problems.map((p) => ({ ...p, reason: safeReason(p.reason, secrets) })),
    };
  }

  diffConfig(olds: Obj, news: Obj): Changes {
    const norm = (o: Obj) => normalizeConfig(plainObject(o).plain);
    return diffInputs({ schema: ProviderConfig, replaceOn: [] }, norm(olds), norm(news));
  }

  /** The config the engine hands over (already checked by CheckConfig). */
  configure(raw: Obj): void {
    const { config, problems } = checkProviderConfig(normalizeConfig(plainObject(raw).plain));
    if (!config)
      throw new Error(
        `invalid provider configuration: ${problems.map((p) => `${p.property}: ${p.reason}`).join("; ")}`,
      );
    this.config = config;
  }

  /** Ctrl-C in `pulumi up`: every running operation stops at its next safe point. */
  cancel(): void {
    stopAll("the engine asked the provider to cancel (Ctrl-C)");
  }

  async check(urn: string, news: Obj): Promise<CheckAnswer> {
    const spec = specFor(urn);
    const { plain, secretPaths } = plainObject(news);
    const named = spec.named && plain.name === undefined ? { ...plain, name: parseUrn(urn).name } : plain;
    const raw = applyConfigDefaults(named, spec.connectionPaths, this.config);
    const result = spec.check(raw);
    if (result.inputs) return { inputs: toWire(result.inputs, secretPaths), failures: [] };
    const secrets = secretTexts(raw, [...secretPaths, ...secretKeyPaths(raw)]);
    const failures = result.problems.map((p) => ({
      property: formatPath(p.path),
      reason: safeReason(p.message, secrets),
    }));
    return { inputs: news, failures };
  }

  /**
   * olds: the last state; oldInputs: its inputs (after a refresh, what Read found), compared when
   * there. The old inputs are completed as Check completes the new ones (defaults, the provider
   * config's connection fields), so inputs that say less but mean the same (an import's) are equal.
   */
  async diff(urn: string, olds: Obj, oldInputs: Obj | undefined, news: Obj): Promise<Changes> {
    const spec = specFor(urn);
    const state = plainObject(olds).plain;
    const old = this.completed(spec, oldInputs ? plainObject(oldInputs).plain : state);
    return withDrift(diffInputs(spec, old, plainObject(news).plain), state);
  }

  /** Inputs as Check would hand them on; as they are when Check refuses them (a drifted value). */
  private completed(spec: AnySpec, inputs: Obj): Obj {
    const keys = spec.schema instanceof z.ZodObject ? Object.keys(spec.schema.shape) : Object.keys(inputs);
    const own = Object.fromEntries(Object.entries(inputs).filter(([k]) => keys.includes(k)));
    return spec.check(applyConfigDefaults(own, spec.connectionPaths, this.config)).inputs ?? own;
  }

  async create(urn: string, news: Obj, opts: OperationOptions = {}): Promise<{ id: string; outs: Obj }> {
    const handler = handlerFor(urn, "create");
    const { plain, secretPaths } = plainObject(news);
    if (opts.preview) return { id: "", outs: toWire(previewOutputs(specFor(urn), plain), secretPaths) };
    return scrubbed(
      urn,
      plain,
      secretPaths,
      async () => {
        const { id, outs } = await handler.create(plain);
        return { id, outs: toWire(outs, secretPaths) };
      },
      opts.timeout,
    );
  }

  /**
   * The resource as its hosts hold it. props: the last state; inputs: its inputs. Secrets of the old
   * state stay secret in the answer. With neither, it is `pulumi import`: the id names the object.
   */
  async read(id: string, urn: string, props: Obj, inputs?: Obj): Promise<{ id: string; props: Obj; inputs: Obj }> {
    const handler = handlerFor(urn, "read");
    const state = plainObject(props);
    if (inputs === undefined && Object.keys(state.plain).length === 0) return this.import(id, urn, handler);
    const declared = plainObject(inputs ?? props);
    const secretPaths = [...state.secretPaths, ...declared.secretPaths];
    return scrubbed(urn, state.plain, secretPaths, async () => {
      const r = await handler.read(id, state.plain, declared.plain, false);
      return { id: r.id, props: toWire(r.props, secretPaths), inputs: toWire(r.inputs, secretPaths) };
    });
  }

  /**
   * `pulumi import`: the object the id names, read with the provider config's connection settings.
   * The inputs keep the connection as the id gave it (the config fills the rest whenever the program
   * runs), so no credential reaches the code `pulumi import` generates.
   */
  private async import(
    id: string,
    urn: string,
    handler: ResourceHandler,
  ): Promise<{ id: string; props: Obj; inputs: Obj }> {
    const spec = specFor(urn);
    const kind = spec.token.split(":").pop();
    const named = spec.importInputs?.(id) ?? `${kind} cannot be imported`;
    if (typeof named === "string") throw new Error(named);
    const declared = applyConfigDefaults(named, spec.connectionPaths, this.config);
    return scrubbed(urn, declared, [], async () => {
      const r = await handler.read(id, {}, declared, true);
      const inputs = connectionsFrom(named, r.inputs, spec.connectionPaths);
      return { id: r.id, props: toWire({ ...r.props, ...inputs }, []), inputs: toWire(inputs, []) };
    });
  }

  async update(id: string, urn: string, olds: Obj, news: Obj, opts: OperationOptions = {}): Promise<Obj> {
    const handler = handlerFor(urn, "update");
    const old = plainObject(olds);
    const { plain, secretPaths } = plainObject(news);
    if (opts.preview) return toWire(previewOutputs(specFor(urn), plain), secretPaths);
    const request = { old: old.plain, new: plain };
    const paths = [...old.secretPaths.map((p) => ["old", ...p]), ...secretPaths.map((p) => ["new", ...p])];
    return scrubbed(
      urn,
      request,
      paths,
      async () => toWire(await handler.update(id, old.plain, plain), secretPaths),
      opts.timeout,
    );
  }

  async delete(id: string, urn: string, props: Obj, opts: OperationOptions = {}): Promise<void> {
    const handler = handlerFor(urn, "delete");
    const { plain, secretPaths } = plainObject(props);
    await scrubbed(urn, plain, secretPaths, () => handler.delete(id, plain), opts.timeout);
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
