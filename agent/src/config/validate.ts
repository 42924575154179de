// Validation of a whole AgentConfig: the schema, unknown fields and the cross-field rules, every problem
// at once, each naming its path. Cross-field rules read the raw input rather than running in a zod
// superRefine, because zod skips refinements once any field has failed, and an operator fixing one typo
// should not then discover the next problem only on the following reload.
// No message ever includes a configured value that could be a secret (auth passwords).
import { z } from "zod";
import { AgentConfig, VrrpInstance, TrackScript, type AgentConfig as AgentConfigT } from "./schema.ts";
import { parseListen } from "../status/http.ts";
import { ipvsProblems } from "./validate-ipvs.ts";
import { formatPath, formatProblem, toSegment, type PathSegment, type Problem } from "./problem.ts";

// Re-exported: callers of checkConfig (the loader, the keepalived converter, the provider's Check) take
// the problems' vocabulary from the module that produces them.
export { formatPath, formatProblem, type PathSegment, type Problem };

export type ValidateResult = { ok: true; config: AgentConfigT } | { ok: false; problems: string[] };

export function validateConfig(input: unknown): ValidateResult {
  const { config, problems } = checkConfig(input);
  return config ? { ok: true, config } : { ok: false, problems: problems.map(formatProblem) };
}

/** Structured form for the loader, which maps each path back to the fragment file it came from. */
export function checkConfig(input: unknown): { config?: AgentConfigT; problems: Problem[] } {
  if (!isObject(input))
    return {
      problems: [
        {
          path: [],
          message: "the configuration must be a JSON object with instances, virtualServers, scripts and/or global",
        },
      ],
    };
  const parsed = AgentConfig.safeParse(input, { error: messageFor });
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.map(toSegment), message: i.message }))),
    ...unknownFields(AgentConfig, input, []),
    ...crossFieldProblems(input),
  ];
  if (problems.length > 0 || !parsed.success) return { problems: sortByPath(problems) };
  return { config: applyScriptUser(parsed.data, input), problems: [] };
}

function sortByPath(problems: Problem[]): Problem[] {
  return problems.sort((a, b) =>
    formatPath(a.path) < formatPath(b.path) ? -1 : formatPath(a.path) > formatPath(b.path) ? 1 : 0,
  );
}

// ---------------------------------------------------------------------------------------------------
// Messages for schema issues: short, operator-facing. They echo a number out of range and a word that
// is none of an enum's values (neither can be a secret), never another input. The provider's Check
// and lvsctl's cluster file use them too.

type RawIssue = z.core.$ZodRawIssue;

export function messageFor(iss: RawIssue): string | undefined {
  if (iss.code === "invalid_type" && iss.input === undefined) return "is required";
  switch (iss.code) {
    case "invalid_type":
      return iss.expected === "int" ? numberRange(iss, true) : `must be ${typeNoun(iss.expected)}`;
    case "too_small":
    case "too_big":
      return sizeMessage(iss);
    case "invalid_value":
      return `must be ${iss.values.map((v) => JSON.stringify(v)).join(" or ")}${gotWord(iss.input)}`;
    case "invalid_union":
      return unionMessage(iss.errors);
    case "invalid_key":
      return "name must not be empty";
    default:
      return undefined;
  }
}

function typeNoun(expected: string): string {
  const nouns: Record<string, string> = {
    object: "an object",
    array: "an array",
    boolean: "true or false",
    record: "an object",
  };
  return nouns[expected] ?? `a ${expected}`;
}

/** ", got 300" for a number; nothing for anything else. */
const gotNumber = (input: unknown): string => (typeof input === "number" ? `, got ${input}` : "");

/** ', got "upstart"' for a short word (an enum's miss); nothing for anything else. */
const gotWord = (input: unknown): string =>
  typeof input === "string" && /^[\w.-]{1,32}$/.test(input) ? `, got ${JSON.stringify(input)}` : gotNumber(input);

/** "must be 1-255, got 300" from the bounds the schema declares, or the one-sided form. */
function numberRange(iss: RawIssue, whole: boolean): string {
  return rangeText(iss, whole) + gotNumber(iss.input);
}

function rangeText(iss: RawIssue, whole: boolean): string {
  const s = iss.schema instanceof z.ZodNumber ? iss.schema : undefined;
  const bounded = (v: number | null | undefined): v is number =>
    typeof v === "number" && Math.abs(v) < Number.MAX_SAFE_INTEGER;
  const [min, max] = [s?.minValue, s?.maxValue];
  const prefix = whole ? "a whole number " : "";
  // An exclusive bound (positive()) is not a value the field takes: "0-3600" would say 0 is fine.
  const above = bounded(min) && s?.safeParse(min).success === false;
  if (above && bounded(max)) return `must be ${prefix}more than ${min} and at most ${max}`;
  if (bounded(min) && bounded(max)) return `must be ${prefix}${min < 0 ? `from ${min} to ${max}` : `${min}-${max}`}`;
  if (bounded(min)) return `must be ${prefix}${isExclusive(iss) ? "greater than" : "at least"} ${min}`;
  if (bounded(max)) return `must be ${prefix}${isExclusive(iss) ? "less than" : "at most"} ${max}`;
  return whole ? "must be a whole number" : "must be a number";
}

function isExclusive(iss: RawIssue): boolean {
  return "inclusive" in iss && iss.inclusive === false;
}

function sizeMessage(iss: Extract<RawIssue, { code: "too_small" | "too_big" }>): string | undefined {
  const small = iss.code === "too_small";
  const bound = Number(small ? iss.minimum : iss.maximum);
  if (iss.origin === "number") return numberRange(iss, false);
  if (iss.origin === "string")
    return small && bound === 1 ? "must not be empty" : `must be ${small ? "at least" : "at most"} ${bound} characters`;
  if (iss.origin === "array")
    return `must have ${small ? "at least" : "at most"} ${bound} ${bound === 1 ? "entry" : "entries"}`;
  return undefined;
}

/** A union of literals (version: 2 | 3) reads "must be 2 or 3". */
function unionMessage(branches: ReadonlyArray<ReadonlyArray<{ code: string; values?: readonly unknown[] }>>): string {
  const values = branches.flatMap((b) => b.flatMap((i) => (i.code === "invalid_value" ? (i.values ?? []) : [])));
  return values.length > 0 ? `must be ${values.map((v) => JSON.stringify(v)).join(" or ")}` : "is not valid";
}

// ---------------------------------------------------------------------------------------------------
// Unknown fields: zod strips them silently, and a misspelt option quietly doing nothing is exactly
// keepalived's most reported pain. Walk the schema alongside the input instead.

function unknownFields(schema: z.ZodType, value: unknown, path: PathSegment[]): Problem[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject && isObject(value)) {
    const shape = s.shape as Record<string, z.ZodType>;
    return Object.entries(value).flatMap(([k, v]) => {
      const field = shape[k];
      if (field) return unknownFields(field, v, [...path, k]);
      return [{ path: [...path, k], message: unknownFieldMessage(k, Object.keys(shape)) }];
    });
  }
  if (s instanceof z.ZodRecord && isObject(value)) {
    return Object.entries(value).flatMap(([k, v]) => unknownFields(s.valueType as z.ZodType, v, [...path, k]));
  }
  if (s instanceof z.ZodArray && Array.isArray(value)) {
    return value.flatMap((v, i) => unknownFields(s.element as z.ZodType, v, [...path, i]));
  }
  return [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return unwrap(schema.unwrap() as z.ZodType);
  return schema;
}

function unknownFieldMessage(key: string, known: readonly string[]): string {
  return `unknown field ${knownFieldHint(key, known)}`;
}

/** '(did you mean "priority"?)' for a near miss, else '(known: a, b, ...)'; the provider and lvsctl use it too. */
export function knownFieldHint(key: string, known: readonly string[]): string {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  const guess = known.find(
    (k) => norm(k).startsWith(norm(key)) || norm(key).startsWith(norm(k)) || editDistance(norm(k), norm(key)) <= 2,
  );
  return guess ? `(did you mean "${guess}"?)` : `(known: ${known.join(", ")})`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

// ---------------------------------------------------------------------------------------------------
// Cross-field rules, on the raw input. Each rule skips values of the wrong type: the schema has
// already reported those.

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The field's value, or the schema's default when absent, so rules and schema agree on defaults. */
function orDefault(obj: Obj, shape: Record<string, z.ZodType>, key: string): unknown {
  return obj[key] !== undefined ? obj[key] : shape[key]?.safeParse(undefined).data;
}

function crossFieldProblems(input: unknown): Problem[] {
  if (!isObject(input)) return [];
  const instances = isObject(input.instances) ? input.instances : {};
  // No scripts section means no scripts; a malformed one is already reported, so skip references.
  const scripts = input.scripts === undefined ? {} : isObject(input.scripts) ? input.scripts : undefined;
  const claims = new Claims();
  const out: Problem[] = [];
  for (const [name, raw] of Object.entries(instances)) {
    if (!isObject(raw)) continue;
    const at = (...rest: PathSegment[]): PathSegment[] => ["instances", name, ...rest];
    out.push(...versionRules(raw, at), ...trackRules(raw, scripts, at), ...peerRules(raw, at), ...hookRules(raw, at));
    out.push(...ownerRules(raw, at));
    out.push(...claims.vrid(name, raw, at), ...claims.vips(name, raw, at));
  }
  const rootOk = isObject(input.scriptSecurity) && input.scriptSecurity.allowRoot === true;
  for (const [name, raw] of Object.entries(scripts ?? {})) {
    if (isObject(raw)) out.push(...scriptRules(raw, (...rest) => ["scripts", name, ...rest], rootOk));
  }
  return [
    ...out,
    ...syncGroupRules(input.syncGroups, instances),
    ...processRefRules(input.trackProcesses, instances),
    ...globalRules(input.global, rootOk),
    ...ipvsProblems(input, instances),
  ];
}

type At = (...rest: PathSegment[]) => PathSegment[];

/** Members are instances of this config, each in one group at most (keepalived refuses a second). */
function syncGroupRules(groups: unknown, instances: Obj): Problem[] {
  if (!isObject(groups)) return [];
  const owner = new Map<string, string>();
  const out: Problem[] = [];
  for (const [name, g] of Object.entries(groups)) {
    if (!isObject(g) || !Array.isArray(g.instances)) continue;
    g.instances.forEach((member: unknown, i) => {
      if (typeof member !== "string") return;
      const path = ["syncGroups", name, "instances", i];
      if (!(member in instances)) out.push({ path, message: `no instance "${member}" is defined under instances` });
      else if (owner.has(member))
        out.push({ path, message: `${member} is already in sync group ${owner.get(member)}` });
      owner.set(member, name);
    });
  }
  return out;
}

/** Each instance's trackProcesses name a process under trackProcesses. */
function processRefRules(processes: unknown, instances: Obj): Problem[] {
  const known = isObject(processes) ? processes : {};
  const out: Problem[] = [];
  for (const [name, inst] of Object.entries(instances)) {
    if (!isObject(inst)) continue;
    eachEntry(inst.trackProcesses, (ref, i) => {
      if (typeof ref.name === "string" && ref.name !== "" && !(ref.name in known))
        out.push({
          path: ["instances", name, "trackProcesses", i, "name"],
          message: `no process "${ref.name}" is defined under trackProcesses`,
        });
    });
  }
  return out;
}
const instanceShape = VrrpInstance.shape as unknown as Record<string, z.ZodType>;

function versionRules(inst: Obj, at: At): Problem[] {
  const version = orDefault(inst, instanceShape, "version");
  const out: Problem[] = [];
  if (version === 3 && inst.auth !== undefined) {
    out.push({
      path: at("auth"),
      message: "authentication is VRRPv2 only (RFC 5798 removed it): remove auth or set version: 2",
    });
  }
  const interval = orDefault(inst, instanceShape, "advertInterval");
  if (typeof interval !== "number" || !(interval > 0)) return out;
  if (version === 2 && !(Number.isInteger(interval) && interval <= 255)) {
    out.push({
      path: at("advertInterval"),
      message: `VRRPv2 advertises in whole seconds: must be a whole number 1-255, got ${interval}`,
    });
  }
  if (version === 3 && !isCentiseconds(interval)) {
    out.push({
      path: at("advertInterval"),
      message: `VRRPv3 advertises in centiseconds: must be a multiple of 0.01 within 0.01-40.95, got ${interval}`,
    });
  }
  return out;
}

/** VRRPv3's 12-bit Max Adver Int field, in centiseconds (1..4095). */
function isCentiseconds(seconds: number): boolean {
  const cs = seconds * 100;
  return Math.abs(cs - Math.round(cs)) < 1e-6 && Math.round(cs) >= 1 && Math.round(cs) <= 4095;
}

function trackRules(inst: Obj, scripts: Obj | undefined, at: At): Problem[] {
  const out: Problem[] = [];
  eachEntry(inst.trackScripts, (ref, i) => {
    if (scripts && typeof ref.name === "string" && ref.name !== "" && !(ref.name in scripts)) {
      out.push({ path: at("trackScripts", i, "name"), message: `no script "${ref.name}" is defined under scripts` });
    }
  });
  eachEntry(inst.trackInterfaces, (ref, i) => {
    if (typeof ref.name !== "string" || ref.name === "") return;
    const res = VrrpInstance.shape.interface.safeParse(ref.name);
    if (!res.success)
      out.push({
        path: at("trackInterfaces", i, "name"),
        message: res.error.issues[0]?.message ?? "must be an interface name",
      });
  });
  return out;
}

/**
 * Priority 255 is the address owner's (RFC 5798 5.2.4): it takes over at once, with no Skew_Time, and
 * never yields. Checked without looking at the host: the owner names its own address as sourceIp.
 */
function ownerRules(inst: Obj, at: At): Problem[] {
  if (inst.priority !== 255) return [];
  const vips = Array.isArray(inst.virtualAddresses) ? inst.virtualAddresses : [];
  const own = vips.some(
    (v: unknown) => isObject(v) && typeof v.address === "string" && v.address.split("/")[0] === inst.sourceIp,
  );
  if (own) return [];
  return [
    {
      path: at("priority"),
      message:
        typeof inst.sourceIp === "string"
          ? `255 is only for the address owner, and sourceIp ${inst.sourceIp} is none of this instance's virtual addresses: use 1-254, or make sourceIp the address this router owns`
          : "255 is only for the address owner (a router whose sourceIp is one of the virtual addresses, keepalived unicast_src_ip or mcast_src_ip), and no sourceIp is given: use 1-254, or give sourceIp",
    },
  ];
}

function peerRules(inst: Obj, at: At): Problem[] {
  if (!Array.isArray(inst.unicastPeers)) return [];
  const seen = new Set<unknown>();
  return inst.unicastPeers.flatMap((peer: unknown, i) => {
    if (typeof peer !== "string") return [];
    if (peer === inst.sourceIp)
      return [{ path: at("unicastPeers", i), message: "must not be the instance's own sourceIp" }];
    if (seen.has(peer)) return [{ path: at("unicastPeers", i), message: `${peer} is listed twice` }];
    seen.add(peer);
    return [];
  });
}

function hookRules(inst: Obj, at: At): Problem[] {
  if (!isObject(inst.notify)) return [];
  return Object.entries(inst.notify).flatMap(([hook, cmd]) => commandRule(cmd, at("notify", hook)));
}

const scriptShape = TrackScript.shape as unknown as Record<string, z.ZodType>;

function scriptRules(script: Obj, at: At, rootOk: boolean): Problem[] {
  return [
    ...commandRule(script.script, at("script")),
    ...userRule(orDefault(script, scriptShape, "user"), at("user"), rootOk),
  ];
}

/** Commands run without a shell or PATH lookup, so the executable must be named absolutely. */
function commandRule(cmd: unknown, path: PathSegment[]): Problem[] {
  if (typeof cmd !== "string" || cmd.trim() === "" || cmd.trim().startsWith("/")) return [];
  return [{ path, message: "must start with the absolute path of an executable" }];
}

/** Root only by that name, and only with scriptSecurity.allowRoot. */
function userRule(user: unknown, path: PathSegment[], rootOk: boolean): Problem[] {
  return user === "root" && !rootOk ? [{ path, message: "must not be root: scripts and hooks run unprivileged" }] : [];
}

const UNIX_PATH_MAX = 107;

function globalRules(global: unknown, rootOk: boolean): Problem[] {
  if (!isObject(global)) return [];
  const out = userRule(global.scriptUser, ["global", "scriptUser"], rootOk);
  const sock = global.statusSocket;
  if (typeof sock === "string" && sock.startsWith("/") && Buffer.byteLength(sock) > UNIX_PATH_MAX) {
    out.push({
      path: ["global", "statusSocket"],
      message: `must be at most ${UNIX_PATH_MAX} bytes (the unix socket path limit)`,
    });
  }
  const listen = global.metricsListen;
  if (typeof listen === "string" && listen !== "" && !((parseListen(listen)?.port ?? 0) > 0)) {
    out.push({
      path: ["global", "metricsListen"],
      message: 'must be host:port (e.g. 127.0.0.1:9572), or "" to disable',
    });
  }
  return out;
}

function eachEntry(list: unknown, fn: (entry: Obj, i: number) => void): void {
  if (!Array.isArray(list)) return;
  list.forEach((e: unknown, i) => {
    if (isObject(e)) fn(e, i);
  });
}

/** Resources two instances must not share: a VRID on one link, a virtual address anywhere. */
class Claims {
  private readonly vrids = new Map<string, string>();
  private readonly addresses = new Map<string, string>();

  vrid(name: string, inst: Obj, at: At): Problem[] {
    if (typeof inst.interface !== "string" || typeof inst.vrid !== "number") return [];
    const owner = this.claim(this.vrids, `${inst.interface}/${inst.vrid}`, name);
    return owner
      ? [{ path: at("vrid"), message: `vrid ${inst.vrid} is already used on ${inst.interface} by instance ${owner}` }]
      : [];
  }

  vips(name: string, inst: Obj, at: At): Problem[] {
    const out: Problem[] = [];
    eachEntry(inst.virtualAddresses, (vip, i) => {
      if (typeof vip.address !== "string") return;
      const ip = vip.address.split("/")[0] ?? "";
      const owner = this.claim(this.addresses, ip, name);
      if (owner === name) out.push({ path: at("virtualAddresses", i, "address"), message: `${ip} is listed twice` });
      else if (owner)
        out.push({
          path: at("virtualAddresses", i, "address"),
          message: `${ip} is already a virtual address of instance ${owner}`,
        });
    });
    return out;
  }

  /** Records `who` as the owner of `key`; returns the earlier owner when there is one. */
  private claim(map: Map<string, string>, key: string, who: string): string | undefined {
    const owner = map.get(key);
    if (owner === undefined) map.set(key, who);
    return owner;
  }
}

// ---------------------------------------------------------------------------------------------------

/**
 * global.scriptUser is "the user for track scripts that do not name one", but the schema defaults each
 * script's `user` to "nobody" before the global setting can apply: fill it from the raw input instead.
 */
function applyScriptUser(config: AgentConfigT, input: unknown): AgentConfigT {
  const rawScripts = isObject(input) && isObject(input.scripts) ? input.scripts : {};
  const scripts = Object.fromEntries(
    Object.entries(config.scripts).map(([name, s]) => {
      const raw = rawScripts[name];
      const named = isObject(raw) && raw.user !== undefined;
      return [name, named ? s : { ...s, user: config.global.scriptUser }];
    }),
  );
  return { ...config, scripts };
}
