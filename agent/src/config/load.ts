// Loading conf.d: the provider writes one JSON fragment per resource, each a partial AgentConfig; the
// agent merges them and validates the whole. Every problem comes back at once, named by fragment file,
// so a reload either applies a complete, valid config or changes nothing.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type { AgentConfig } from "./schema.ts";
import { checkConfig, formatProblem, type Problem } from "./validate.ts";
import { locateJsonError } from "./json-error.ts";
import { readRegularFile } from "./regular-file.ts";

/** A fragment's limit: the largest real one (1,000 virtual servers) is some 400 KiB. */
export const FRAGMENT_BYTES = 4 << 20;

/** `notes`: warnings about what was accepted but changed or not applied (keepalived.conf import), file:line each. */
export type LoadResult =
  | { ok: true; config: AgentConfig; sources: string[]; notes?: string[] }
  | { ok: false; problems: string[]; notes?: string[] };

type Obj = Record<string, unknown>;
const SECTIONS = [
  "instances",
  "syncGroups",
  "trackProcesses",
  "scripts",
  "virtualServers",
  "sysctls",
  "syncDaemon",
  "ipvsTimeouts",
  "global",
  "scriptSecurity",
] as const;
type Section = (typeof SECTIONS)[number];
/** Sections merged key by key where the same value may come from several fragments (others: one owner per key). */
const SHARED: readonly Section[] = ["global", "sysctls", "syncDaemon", "ipvsTimeouts", "scriptSecurity"];
/** Sections that are one optional object rather than a map: absent unless some fragment sets them. */
const OPTIONAL: readonly Section[] = ["syncDaemon", "ipvsTimeouts", "scriptSecurity"];
const SECTION_LIST =
  "instances, syncGroups, trackProcesses, scripts, virtualServers, sysctls, syncDaemon, ipvsTimeouts, scriptSecurity or global";

interface Fragment {
  /** how problems name it: the file name in conf.d, the path for a single file */
  label: string;
  path: string;
  data: Partial<Record<Section, Obj>>;
}

type ReadOutcome = { fragment: Fragment } | { problems: string[] };

/**
 * Every `*.json` in `dir`, in name order (so `10-` before `20-`). Dotfiles are skipped: editors and
 * atomic writers (write `.x.json.tmp`, rename) leave them there.
 */
export async function loadConfigDir(dir: string): Promise<LoadResult> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries
      .filter((e) => !e.isDirectory() && e.name.endsWith(".json") && !e.name.startsWith("."))
      .map((e) => e.name);
  } catch (err) {
    return { ok: false, problems: [`${dir}: cannot read directory: ${errorCode(err)}`] };
  }
  names.sort();
  const outcomes = await Promise.all(names.map((n) => readFragment(join(dir, n), n)));
  return mergeAndValidate(outcomes);
}

/** One complete config file (e.g. converted from keepalived.conf). */
export async function loadConfigFile(path: string): Promise<LoadResult> {
  return mergeAndValidate([await readFragment(path, path)]);
}

async function readFragment(path: string, label: string): Promise<ReadOutcome> {
  let text: string;
  try {
    text = readRegularFile(path, FRAGMENT_BYTES);
  } catch (err) {
    return { problems: [`${label}: cannot read: ${errorCode(err)}`] };
  }
  // Some editors write a byte-order mark; JSON.parse rejects it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const at = locateJsonError(text);
    return {
      problems: [at ? `${label}:${at.line}:${at.column}: invalid JSON: ${at.reason}` : `${label}: invalid JSON`],
    };
  }
  return validateShape(data, path, label);
}

/** A fragment holds only the known sections, each an object; anything else is named with its file. */
function validateShape(data: unknown, path: string, label: string): ReadOutcome {
  if (!isObject(data))
    return { problems: [`${label}: must be a JSON object with any of ${SECTION_LIST.replace(" or ", " and/or ")}`] };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (!(SECTIONS as readonly string[]).includes(key))
      problems.push(`${label}: ${key}: unknown section (expected ${SECTION_LIST})`);
    else if (!isObject(value)) problems.push(`${label}: ${key}: must be an object`);
  }
  return problems.length > 0 ? { problems } : { fragment: { label, path, data: data as Fragment["data"] } };
}

/** Which fragment each instance, script and global key came from. */
type Owners = Record<Section, Map<string, string>>;

function mergeAndValidate(outcomes: ReadOutcome[]): LoadResult {
  const problems = outcomes.flatMap((o) => ("problems" in o ? o.problems : []));
  const fragments = outcomes.flatMap((o) => ("fragment" in o ? [o.fragment] : []));
  const { merged, owners, conflicts } = merge(fragments);
  problems.push(...conflicts);
  const validated = checkConfig(merged);
  problems.push(...validated.problems.map((p) => attribute(p, owners)));
  if (problems.length > 0 || !validated.config) return { ok: false, problems };
  return { ok: true, config: validated.config, sources: fragments.map((f) => f.path) };
}

function merge(fragments: Fragment[]): { merged: Obj; owners: Owners; conflicts: string[] } {
  const merged = Object.fromEntries(SECTIONS.map((s) => [s, {}])) as Record<Section, Obj>;
  const owners = Object.fromEntries(SECTIONS.map((s) => [s, new Map<string, string>()])) as Owners;
  const conflicts: string[] = [];
  for (const f of fragments) {
    for (const section of SECTIONS) {
      for (const [key, value] of Object.entries(f.data[section] ?? {})) {
        const first = owners[section].get(key);
        if (first === undefined) {
          owners[section].set(key, f.label);
          merged[section][key] = value;
        } else if (!SHARED.includes(section) || !isDeepStrictEqual(merged[section][key], value)) {
          conflicts.push(conflictMessage(section, key, first, f.label));
        }
      }
    }
  }
  for (const section of OPTIONAL)
    if (owners[section].size === 0) delete (merged as Partial<Record<Section, Obj>>)[section];
  return { merged, owners, conflicts };
}

/** Never quotes the values: a global key could one day be a secret. */
function conflictMessage(section: Section, key: string, first: string, second: string): string {
  if (SHARED.includes(section)) return `${section}.${key} is set differently in ${first} and ${second}`;
  const noun = section === "instances" ? "instance" : section === "scripts" ? "script" : "virtual server";
  return `${noun} "${key}" is defined in both ${first} and ${second}`;
}

/** Prefixes a problem with the fragment its path leads into, when one does. */
function attribute(p: Problem, owners: Owners): string {
  const [section, key] = p.path;
  const owner =
    (SECTIONS as readonly unknown[]).includes(section) && typeof key === "string"
      ? owners[section as Section].get(key)
      : undefined;
  return owner ? `${owner}: ${formatProblem(p)}` : formatProblem(p);
}

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}
