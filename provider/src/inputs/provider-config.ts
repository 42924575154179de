// The provider's configuration (`lvs:` config keys; pure): default SSH settings for every connection of
// every resource, so a program need not repeat user, key, pins and jump host on each one. A field the
// resource's own connection sets wins; a host key pin comes from `hostKeys` by the connection's host.
// Config values may arrive as strings (`pulumi config set lvs:sudo true`): JSON-looking ones are parsed.
// Validation names the config key (`lvs:hostKeys`) and never quotes a secret.
import { z } from "zod";
import { isValidPin } from "../host/hostkey.ts";
import { JumpHost } from "../host/connection.ts";
import { errorMap, isObject, type Obj } from "./common.ts";

const seconds = z.number().positive().max(86_400);

export const ProviderConfig = z.strictObject({
  /** SSH user for every host */
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_.-]*\$?$/i, "must be a user name")
    .optional(),
  port: z.number().int().min(1).max(65_535).optional(),
  /** OpenSSH or PEM private key text (set it with --secret) */
  privateKey: z.string().min(1).optional(),
  /** SSH password (set it with --secret) */
  password: z.string().min(1).optional(),
  /** host address -> its key pin ("SHA256:..." or an OpenSSH public key line) */
  hostKeys: z
    .record(
      z.string().min(1),
      z.string().refine(isValidPin, "must be a SHA256:... fingerprint or an OpenSSH public key line"),
    )
    .optional(),
  /** skip host key pinning for hosts without a pin; must be exactly true */
  insecureIgnoreHostKey: z.boolean().optional(),
  /** reach every host through this SSH server */
  jumpHost: JumpHost.optional(),
  sudo: z.boolean().optional(),
  connectTimeout: seconds.optional(),
  commandTimeout: seconds.optional(),
});
export type ProviderConfig = z.infer<typeof ProviderConfig>;

/** Keys the engine adds to every provider's configuration, which are not ours to check. */
const ENGINE_KEYS = new Set(["version", "pluginDownloadURL"]);

const parsedString = (v: unknown): unknown => {
  if (typeof v !== "string" || !/^[[{]|^(true|false)$|^-?\d+(\.\d+)?$/.test(v.trim())) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/** The config as the engine sent it (keys with or without "lvs:" / "lvs:config:"), values parsed. */
export function normalizeConfig(raw: Obj): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(raw)) {
    const k = key.replace(/^lvs:(config:)?/, "");
    if (ENGINE_KEYS.has(k) || value === undefined || value === null) continue;
    out[k] = k === "privateKey" || k === "password" || k === "user" ? value : parsedString(value);
  }
  return out;
}

export interface ConfigProblem {
  /** the config key, as users write it: "lvs:hostKeys" */
  property: string;
  reason: string;
}

/** Every problem of the config at once, each naming its `lvs:` key; the config when there are none. */
export function checkProviderConfig(config: Obj): { config?: ProviderConfig; problems: ConfigProblem[] } {
  const r = ProviderConfig.safeParse(config, { error: errorMap });
  const problems: ConfigProblem[] = r.success
    ? []
    : r.error.issues.flatMap((i) => {
        const at = i.path.map(String);
        if (i.code === "unrecognized_keys")
          return i.keys.map((k) => ({
            property: `lvs:${[...at, k].join(".")}`,
            reason: `unknown config key: the provider takes ${Object.keys(ProviderConfig.shape).join(", ")}`,
          }));
        return [{ property: `lvs:${at.join(".")}`, reason: i.message }];
      });
  const credentials = config.privateKey !== undefined || config.password !== undefined;
  if (credentials && config.hostKeys === undefined && config.insecureIgnoreHostKey !== true) {
    problems.push({
      property: "lvs:hostKeys",
      reason:
        "the config gives SSH credentials but pins no host key: set lvs:hostKeys to each host's key (pulumi config set --path 'lvs:hostKeys[\"10.0.0.2\"]' SHA256:...), or lvs:insecureIgnoreHostKey true",
    });
  }
  return r.success && problems.length === 0 ? { config: r.data, problems } : { problems };
}

/** A connection (as the program gave it) with the config's defaults for what it leaves out. */
export function withConfigDefaults(conn: Obj, config: ProviderConfig): Obj {
  const pin = typeof conn.host === "string" ? config.hostKeys?.[conn.host] : undefined;
  const pinned = conn.hostKey !== undefined || pin !== undefined;
  const defaults: Obj = {
    user: config.user,
    port: config.port,
    privateKey: conn.password === undefined ? config.privateKey : undefined,
    password: conn.privateKey === undefined ? config.password : undefined,
    hostKey: conn.insecureIgnoreHostKey === true ? undefined : pin,
    insecureIgnoreHostKey: pinned ? undefined : config.insecureIgnoreHostKey,
    jumpHost: config.jumpHost,
    sudo: config.sudo,
    connectTimeout: config.connectTimeout,
    commandTimeout: config.commandTimeout,
  };
  const merged: Obj = { ...conn };
  for (const [k, v] of Object.entries(defaults)) if (merged[k] === undefined && v !== undefined) merged[k] = v;
  return merged;
}

/**
 * The inputs with each connection at `paths` ("connection", "directors.*.connection", "directors.*")
 * given the config's defaults. A connection that is not an object (absent, unknown) is left alone.
 */
export function applyConfigDefaults(inputs: Obj, paths: readonly string[], config: ProviderConfig): Obj {
  const at = (value: unknown, segs: string[]): unknown => {
    if (segs.length === 0) return isObject(value) ? withConfigDefaults(value, config) : value;
    const [head, ...rest] = segs;
    if (head === "*") return Array.isArray(value) ? value.map((v) => at(v, rest)) : value;
    if (!isObject(value) || !(head! in value)) return value;
    return { ...value, [head!]: at(value[head!], rest) };
  };
  return paths.reduce((acc, p) => at(acc, p.split(".")) as Obj, inputs);
}

/**
 * target with each connection at `paths` taken from source instead (same positions): an import's
 * answer keeps the connections as its id gave them, without the config's defaults and credentials.
 */
export function connectionsFrom(source: Obj, target: Obj, paths: readonly string[]): Obj {
  const copy = (from: unknown, to: unknown, segs: string[]): unknown => {
    if (segs.length === 0) return from === undefined ? to : from;
    const [head, ...rest] = segs;
    if (head === "*") return Array.isArray(to) && Array.isArray(from) ? to.map((v, i) => copy(from[i], v, rest)) : to;
    if (!isObject(to) || !isObject(from)) return to;
    return head! in to ? { ...to, [head!]: copy(from[head!], to[head!], rest) } : to;
  };
  return paths.reduce((acc, p) => copy(source, acc, p.split(".")) as Obj, target);
}
