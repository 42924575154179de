// How every resource's inputs are checked, all problems at once, each naming its field:
//  1. the resource's zod schema (composed from the agent's field schemas, strict at every depth),
//  2. its cross-field rules, on the raw input, so they run even when single fields are wrong,
//  3. the agent's own validator on the fragment these inputs make, so the provider never writes one the
//     agent would refuse (its rules are not restated here). Where the fragment is a plain selection of
//     input fields it is checked from the raw input, alongside 1 and 2; where it needs the planner,
//     once the schema has passed.
// A problem at a path the engine does not know yet (preview) is no problem. A message may quote a
// configured value (an address); provider.ts scrubs every secret value out of them before they leave.
import type { z } from "zod";
import { checkConfig, formatPath, type PathSegment, type Problem } from "../../../agent/src/config/validate.ts";
import { unknownPaths } from "../secrets.ts";
import { errorMap, unknownKeyHint, type Obj } from "./common.ts";

export type { Problem, PathSegment };
export { formatPath };

export interface ResourceSpec<T extends Obj, C extends Obj> {
  /** Pulumi type token, e.g. "lvs:index:Vip" */
  token: string;
  schema: z.ZodType<T>;
  /** takes a `name` that defaults to the resource's own name */
  named: boolean;
  /** cross-field rules on the raw input; each checks the types it reads */
  rules(raw: Obj): Problem[];
  /** the agent's verdict on the fragments these inputs make, paths mapped back to input fields; parsed is there when the schema passed */
  agentProblems(raw: Obj, parsed: T | undefined): Problem[];
  /** dotted input paths whose change needs a new resource ("vrid", "connection.host"); others update */
  replaceOn: readonly string[];
  /** where its SSH connections are ("connection", "directors.*.connection"): the provider config's defaults go there */
  connectionPaths: readonly string[];
  /** defaults that depend on other fields, filled once the inputs are valid */
  complete?(parsed: T): T;
  /**
   * `pulumi import`: the inputs its id names (the host and the object there, enough to find it; the
   * provider config gives the rest of the connection), or why the id names nothing
   */
  importInputs?(id: string): Obj | string;
  /** the outputs computed from the inputs, beside the inputs themselves */
  outputs: z.ZodType<C>;
  computed(inputs: T): C;
  /** one line for the schema's resource description */
  description: string;
}

/** A ResourceSpec with its type parameter closed over, so specs of all resources share one table. */
export interface AnySpec {
  token: string;
  named: boolean;
  schema: z.ZodType;
  outputs: z.ZodType;
  replaceOn: readonly string[];
  connectionPaths: readonly string[];
  description: string;
  importInputs?(id: string): Obj | string;
  check(raw: Obj): { inputs?: Obj; problems: Problem[] };
  computed(inputs: Obj): Obj;
}

export function defineResource<T extends Obj, C extends Obj>(spec: ResourceSpec<T, C>): AnySpec {
  return {
    token: spec.token,
    named: spec.named,
    schema: spec.schema,
    outputs: spec.outputs,
    replaceOn: spec.replaceOn,
    connectionPaths: spec.connectionPaths,
    ...(spec.importInputs && { importInputs: spec.importInputs }),
    description: spec.description,
    check: (raw) => checkInputs(spec, raw),
    computed: (inputs) => spec.computed(inputs as T),
  };
}

function checkInputs<T extends Obj>(spec: ResourceSpec<T, Obj>, raw: Obj): { inputs?: Obj; problems: Problem[] } {
  const parsed = spec.schema.safeParse(raw, { error: errorMap });
  const problems: Array<Problem & { agent?: boolean }> = parsed.success
    ? []
    : parsed.error.issues.flatMap((iss) => issueProblems(spec.schema, iss));
  problems.push(...spec.rules(raw));
  problems.push(
    ...spec.agentProblems(raw, parsed.success ? parsed.data : undefined).map((p) => ({ ...p, agent: true })),
  );
  const unknown = unknownPaths(raw);
  const known = dedupe(problems).filter((p) => !unknown.some((u) => isPrefix(u, p.path)));
  if (known.length > 0) return { problems: sortByPath(known) };
  // With unknowns the schema may not have passed: hand back what came in, to be checked when known.
  if (!parsed.success) return { inputs: raw, problems: [] };
  return { inputs: spec.complete ? spec.complete(parsed.data) : parsed.data, problems: [] };
}

function issueProblems(schema: z.ZodType, iss: z.core.$ZodIssue): Problem[] {
  const path = iss.path.map((k): PathSegment => (typeof k === "number" ? k : String(k)));
  if (iss.code === "unrecognized_keys")
    return iss.keys.map((k) => ({ path: [...path, k], message: `unknown field ${unknownKeyHint(schema, path, k)}` }));
  return [{ path, message: iss.message }];
}

/**
 * Each problem once. The agent's verdict restates some schema rules in its own words: a field the
 * schema or the rules already reported is not reported again from the agent.
 */
function dedupe(problems: Array<Problem & { agent?: boolean }>): Problem[] {
  const reported = new Set(problems.filter((p) => !p.agent).map((p) => formatPath(p.path)));
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const id = `${formatPath(p.path)}\0${p.message}`;
      if ((p.agent && reported.has(formatPath(p.path))) || seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .map(({ path, message }) => ({ path, message }));
}

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => seg === path[i]);
}

function sortByPath(problems: Problem[]): Problem[] {
  return problems.sort((a, b) =>
    formatPath(a.path) < formatPath(b.path) ? -1 : formatPath(a.path) > formatPath(b.path) ? 1 : 0,
  );
}

/**
 * The agent's own validation of a fragment this resource would write, each problem's path mapped back
 * to the input field it came from (`map` returns undefined to keep the agent's path as it is).
 */
export function agentVerdict(fragment: unknown, map: (path: PathSegment[]) => PathSegment[] | undefined): Problem[] {
  return checkConfig(fragment).problems.map((p) => ({ path: map(p.path) ?? p.path, message: p.message }));
}
