// What an apply must do on a director, and what a read reports, from what the host holds (pure).
// An unchanged director costs no upload and no restart; a new or damaged bundle is installed side by
// side and `current` switched; the agent is restarted (gracefully: SIGTERM hands the VIPs over) only
// when what it runs changed, reloaded when only its sysctls did.
import { isDeepStrictEqual } from "node:util";
import { verifyFiles, type BundleManifest } from "../../../bundle/manifest.ts";
import type { DirectorAgent } from "../schema.ts";
import type { ServiceManager } from "./layout.ts";
import type { Installed, Listing } from "./scripts.ts";
import type { ServiceState } from "./service.ts";

/** The bundle to run, as the provider has it. */
export interface Desired {
  /** versions/<name> */
  name: string;
  sha256: string;
  manifest: BundleManifest;
  manifestSha256: string;
}

/** The director as found before an apply (or by a read). */
export interface Found {
  installed: Installed;
  /** the current version directory checked against its MANIFEST.json; undefined when nothing is current */
  files: string[] | undefined;
  fragment: string | undefined;
  /** the unit or supervisor script as it is on the host */
  serviceText: string | undefined;
  service: ServiceState;
}

/** Problems of the current version directory: its files against its own MANIFEST.json, which must be the one installed. */
export function fileProblems(
  manifest: BundleManifest | undefined,
  listing: Listing,
  recorded: string | undefined,
): string[] {
  if (!manifest) return ["MANIFEST.json missing or unreadable"];
  const problems = verifyFiles(manifest, listing.files);
  if (recorded !== undefined && listing.manifestSha256 !== recorded)
    problems.unshift("MANIFEST.json: changed since it was installed");
  return problems;
}

export type AgentAction = "start" | "restart" | "reload" | "stop" | "none";

export interface ApplyPlan {
  /** upload, unpack, verify and switch `current` to the desired bundle */
  install: boolean;
  /** why (for the log): "not installed", "0.1.0-1a2b3c4d -> 0.2.0-5e6f7a8b", "repair: ..." */
  reason: string;
  writeService: boolean;
  writeFragment: boolean;
  agent: AgentAction;
  /** `current` before the apply: kept for rollback and by pruning */
  previous: string | undefined;
}

const globalOf = (fragment: string | undefined): unknown => {
  try {
    return (JSON.parse(fragment ?? "{}") as { global?: unknown }).global;
  } catch {
    return undefined;
  }
};

/** running: whether the agent must run afterwards (a Director's `running`). */
export function planApply(
  want: Desired,
  found: Found,
  wanted: { fragment: string; serviceText: string },
  running = true,
): ApplyPlan {
  const { installed, files } = found;
  const same = installed.current === want.name && installed.record?.bundleSha256 === want.sha256;
  const damaged = same && (files === undefined || files.length > 0);
  const install = !same || damaged;
  const reason = !installed.current
    ? "not installed"
    : !same
      ? `${installed.current} -> ${want.name}`
      : damaged
        ? `repair: ${summary(files ?? ["files unreadable"])}`
        : "installed";
  const writeService = found.serviceText !== wanted.serviceText;
  const writeFragment = !sameJson(found.fragment, wanted.fragment);
  const globalChanged = writeFragment && !isDeepStrictEqual(globalOf(found.fragment), globalOf(wanted.fragment));
  const agent: AgentAction = !running
    ? found.service.running
      ? "stop"
      : "none"
    : !found.service.running
      ? "start"
      : install || writeService || globalChanged
        ? "restart"
        : writeFragment
          ? "reload"
          : "none";
  return { install, reason, writeService, writeFragment, agent, previous: installed.current };
}

function sameJson(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  try {
    return isDeepStrictEqual(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
}

/** At most `max` problems, then how many more. */
export function summary(problems: readonly string[], max = 3): string {
  const shown = problems.slice(0, max).join("; ");
  return problems.length > max ? `${shown}; and ${problems.length - max} more` : shown;
}

/**
 * Entries of versions/ to remove: leftovers of interrupted runs (dot names), and all but the `max`
 * newest versions, never one in `keep` (the new current and the one before it, for rollback).
 */
export function pruneNames(
  versions: Installed["versions"],
  keep: ReadonlyArray<string | undefined>,
  max = 2,
): string[] {
  const kept = new Set(keep.filter((k): k is string => k !== undefined));
  const remove: string[] = [];
  for (const v of versions) {
    if (v.name.startsWith(".")) remove.push(v.name);
    else if (kept.has(v.name)) continue;
    else if (kept.size < max) kept.add(v.name);
    else remove.push(v.name);
  }
  return remove;
}

/** The `agent` output. */
export function agentOutput(a: {
  installed: Installed;
  installDir: string;
  manager: ServiceManager;
  service: ServiceState;
}): DirectorAgent {
  const { installed } = a;
  return {
    version: installed.record?.agentVersion ?? "unknown",
    bundleSha256: installed.record?.bundleSha256 ?? "unknown",
    installPath: installed.current ? `${a.installDir}/versions/${installed.current}` : "",
    serviceManager: a.manager,
    running: a.service.running,
    ...(a.service.pid !== undefined && { pid: a.service.pid }),
  };
}
