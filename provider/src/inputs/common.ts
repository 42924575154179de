// Building blocks of the resource inputs. Field schemas come from the agent's AgentConfig (a range or
// a format is stated once, where the agent enforces it); deepStrict makes the composed objects reject
// unknown fields at every depth, because a misspelt option silently doing nothing is keepalived's most
// reported pain and zod strips unknown keys by default.
import { z } from "zod";
import { GlobalSettings, VirtualAddress, VrrpInstance } from "../../../agent/src/config/schema.ts";
import { RealServer } from "../../../agent/src/config/ipvs.ts";
import { absolutePath, hasControlCharacter } from "../../../agent/src/config/fields.ts";
import { knownFieldHint, messageFor } from "../../../agent/src/config/validate.ts";

export { Connection, type Connection as ConnectionT, type ConnectionInput } from "../host/connection.ts";

/** The agent's conf.d, where each resource puts its fragment (resources/fragment/files.ts). */
export const CONF_D = "/etc/lvs-agent/conf.d";

export const ipv4 = VrrpInstance.shape.sourceIp.unwrap();
/** "10.0.0.100/24" or a bare address */
export const cidr = VirtualAddress.shape.address;
export const ifname = VrrpInstance.shape.interface;
export const port = RealServer.shape.port.unwrap();

/** Where the installed agent's CLI is (the bundle's current release). */
export const AGENT_COMMAND = "/opt/lvs-agent/current/bin/lvs-agent";

/**
 * How the provider reaches a director's agent, beside its connection. The defaults are where the
 * packaged agent lives; other paths suit agents installed elsewhere (and lab hosts sharing one filesystem).
 */
export const agentAccess = {
  /** the agent's conf.d: this resource's fragment is written there */
  configDir: absolutePath.default(CONF_D),
  /** the agent's CLI: an absolute path, then any leading arguments, separated by single spaces (no quoting) */
  agentCommand: z
    .string()
    .regex(/^\/\S*( \S+)*$/, "must be an absolute path, then any arguments, separated by single spaces")
    // \S admits control characters other than white space: no word may carry one into sh
    .refine((s) => !hasControlCharacter(s), "must not hold a control character")
    .default(AGENT_COMMAND),
  /** the running agent's status socket (lvs-agent reload|status --socket) */
  statusSocket: absolutePath.default(GlobalSettings.parse({}).statusSocket),
};

/** The live part of a resource's outputs: what each director's agent reported at the last read. */
export const directorStatusShape = {
  host: z.string(),
  /** where this resource's fragment is on that director */
  fragmentPath: z.string(),
  /** why the agent's view is missing (it did not answer, or does not run this resource) */
  error: z.string().optional(),
};

/** Names files on hosts (conf.d/vip-<name>.json), so it is kept to a safe alphabet. */
export const resourceName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit (it names files on the hosts; it defaults to the resource's name)",
  );

/**
 * The same schema with every object in it strict (unknown keys are errors), keeping defaults, optionals
 * and checks (array bounds, refinements) as they were. Unions are left alone: their members carry
 * their own rules (the agent's health checks are strict already).
 */
export function deepStrict<T extends z.ZodType>(schema: T): T {
  return strictify(schema) as T;
}

function strictify(s: z.ZodType): z.ZodType {
  if (s instanceof z.ZodObject) {
    const shape = Object.fromEntries(
      Object.entries(s.shape as Record<string, z.ZodType>).map(([k, v]) => [k, strictify(v)]),
    );
    return s.clone({ ...s._zod.def, shape, catchall: z.never() });
  }
  if (s instanceof z.ZodOptional)
    return s.clone({ ...s._zod.def, innerType: strictify(s._zod.def.innerType as z.ZodType) });
  if (s instanceof z.ZodDefault)
    return s.clone({ ...s._zod.def, innerType: strictify(s._zod.def.innerType as z.ZodType) });
  if (s instanceof z.ZodArray) return s.clone({ ...s._zod.def, element: strictify(s._zod.def.element as z.ZodType) });
  if (s instanceof z.ZodRecord)
    return s.clone({ ...s._zod.def, valueType: strictify(s._zod.def.valueType as z.ZodType) });
  return s;
}

/**
 * The agent's words for a schema issue ("must be 1-255, got 300", "is required"), so a range reads the
 * same in Check, a cluster file and the agent's own config; zod's own words where it has none.
 */
export const errorMap = (iss: z.core.$ZodRawIssue): string | undefined => messageFor(iss);

/**
 * The fields the object schema at `path` (inside `root`) takes, for an unknown key's hint; [] when the
 * path leads to no object schema.
 */
function knownKeysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  const def = root._zod.def as { type: string } & Record<string, unknown>;
  if ("innerType" in def) return knownKeysAt(def.innerType as z.ZodType, path);
  if (def.type === "pipe") return knownKeysAt(def.in as z.ZodType, path);
  if (path.length === 0) return root instanceof z.ZodObject ? Object.keys(root.shape) : [];
  const [seg, ...rest] = path;
  if (root instanceof z.ZodObject) {
    const field = (root.shape as Record<string, z.ZodType>)[String(seg)];
    return field ? knownKeysAt(field, rest) : [];
  }
  if (root instanceof z.ZodArray) return knownKeysAt(root.element as z.ZodType, rest);
  if (root instanceof z.ZodRecord) return knownKeysAt(root.valueType as z.ZodType, rest);
  return [];
}

/** '(did you mean "preempt"?)' or '(known: ...)' for key, unknown in the object at path inside root. */
export function unknownKeyHint(root: z.ZodType, path: readonly PropertyKey[], key: string): string {
  return knownFieldHint(key, knownKeysAt(root, path));
}

export type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
