// MANIFEST.json of a bundle, and npm integrity strings (pure). The manifest names the agent, the runtime
// and every file with its sha256, size and mode, so an installed bundle can be verified file by file
// (by the provider after an upload, or by hand with sha256sum).
import { createHash } from "node:crypto";
import { z } from "zod";
import { ARCHES, BundleError } from "./plan.ts";

export const MANIFEST_FORMAT = 1;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "sha256 hex digest");

export const ManifestFile = z.strictObject({
  sha256: Sha256,
  size: z.number().int().nonnegative(),
  /** octal permission bits, e.g. "0755" */
  mode: z.string().regex(/^0[0-7]{3}$/),
});
export type ManifestFile = z.infer<typeof ManifestFile>;

export const BundleManifest = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  name: z.literal("lvs-agent"),
  agentVersion: z.string().min(1),
  platform: z.literal("linux"),
  arch: z.enum(ARCHES),
  node: z.strictObject({
    version: z.string().regex(/^\d+\.\d+\.\d+$/),
    /** NODE_MODULE_VERSION: the ABI the rebuilt addons were compiled for */
    modules: z.number().int().positive(),
    package: z.string(),
    integrity: z.string(),
  }),
  /** digest of everything the bundle was built from (the builder's cache key) */
  inputs: Sha256,
  packages: z.array(
    z.strictObject({
      name: z.string(),
      version: z.string(),
      path: z.string(),
      native: z.enum(["none", "napi-prebuilt", "rebuild"]),
    }),
  ),
  /** every file under the bundle root except MANIFEST.json itself, by "/"-separated relative path */
  files: z.record(z.string(), ManifestFile),
});
export type BundleManifest = z.infer<typeof BundleManifest>;

export function modeString(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

/** The manifest with its files in path order, as the JSON text written to MANIFEST.json. */
export function manifestText(m: BundleManifest): string {
  const files = Object.fromEntries(Object.entries(m.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify(BundleManifest.parse({ ...m, files }), null, 2) + "\n";
}

export function parseManifest(text: string): BundleManifest {
  const r = BundleManifest.safeParse(JSON.parse(text));
  if (!r.success)
    throw new BundleError(
      `MANIFEST.json is invalid: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}

/** Problems between a manifest and the files found (all of them, sorted), or [] when they agree. */
export function verifyFiles(m: BundleManifest, actual: ReadonlyMap<string, ManifestFile>): string[] {
  const problems: string[] = [];
  for (const [path, want] of Object.entries(m.files)) {
    const got = actual.get(path);
    if (!got) problems.push(`${path}: missing`);
    else if (got.sha256 !== want.sha256) problems.push(`${path}: sha256 ${got.sha256}, manifest says ${want.sha256}`);
    else if (got.size !== want.size) problems.push(`${path}: size ${got.size}, manifest says ${want.size}`);
    else if (got.mode !== want.mode) problems.push(`${path}: mode ${got.mode}, manifest says ${want.mode}`);
  }
  for (const path of actual.keys()) if (!(path in m.files)) problems.push(`${path}: not in the manifest`);
  return problems.sort();
}

/** The digests of an npm integrity string ("sha512-<base64> sha1-<base64>" …) by algorithm. */
export function parseIntegrity(integrity: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of integrity.trim().split(/\s+/)) {
    const m = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})(\?.*)?$/.exec(part);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

export interface Digests {
  sha512: string;
  sha1: string;
}

/** Hex digests of a byte string, as compared by checkIntegrity. */
export function digests(data: Buffer): Digests {
  return {
    sha512: createHash("sha512").update(data).digest("hex"),
    sha1: createHash("sha1").update(data).digest("hex"),
  };
}

/**
 * Problems between a tarball's digests and what the registry published: `integrity` (SRI, sha512) and
 * `shasum` (sha1 hex). Both must be present and both must match.
 */
export function integrityProblems(got: Digests, expected: { integrity?: string; shasum?: string }): string[] {
  const problems: string[] = [];
  const sri = parseIntegrity(expected.integrity ?? "").get("sha512");
  if (!sri) problems.push("the registry gave no sha512 integrity");
  else if (Buffer.from(sri, "base64").toString("hex") !== got.sha512)
    problems.push(`sha512 mismatch (registry sha512-${sri})`);
  if (!expected.shasum) problems.push("the registry gave no shasum");
  else if (expected.shasum.toLowerCase() !== got.sha1)
    problems.push(`sha1 ${got.sha1}, registry shasum ${expected.shasum}`);
  return problems;
}
