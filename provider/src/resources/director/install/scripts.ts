// The install's shell scripts and the parsers of what they print (pure). Every path is quoted; every
// script runs as root (through sudo when the connection says so) under `sh -c`, with GNU coreutils,
// findutils and tar on the host. Staging happens in versions/.incoming-<token> next to its final place,
// so the moves that publish it are renames within one filesystem.
import { createHash } from "node:crypto";
import { z } from "zod";
import { shQuote as q } from "../../../host/commands.ts";
import { type ManifestFile } from "../../../bundle/manifest.ts";
import { INSTALL_RECORD, currentName, type Layout } from "./layout.ts";

export const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

/** `key=value` lines (the last of a key wins; other lines are ignored). */
export function keyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** The host's machine type and whether systemd runs there. */
export const PROBE_SCRIPT = [
  `echo "arch=$(uname -m)"`,
  `if command -v systemctl >/dev/null 2>&1; then echo "systemd=$(systemctl is-system-running 2>/dev/null)"; else echo "systemd=absent"; fi`,
].join("\n");

export const stagePath = (l: Layout, token: string): string => `${l.versionsDir}/.incoming-${token}`;

/**
 * stdin -> <stage>/bundle.tar.gz, refused unless its sha256 is the one sent. It runs under the install's
 * lock, so any other stage there was left by an install whose session died (its host vanished, its
 * plugin killed): removed first, or each would keep a bundle's worth of disk.
 */
export function uploadScript(l: Layout, stage: string, sha: string): string {
  return [
    "set -e",
    "umask 022",
    `mkdir -p ${q(l.versionsDir)}`,
    `rm -rf -- ${q(l.versionsDir)}/.incoming-*`,
    `touch ${q(l.marker)}`,
    `mkdir ${q(stage)}`,
    `cat > ${q(`${stage}/bundle.tar.gz`)}`,
    `got=$(sha256sum < ${q(`${stage}/bundle.tar.gz`)} | cut -c1-64)`,
    `if [ "$got" != ${q(sha)} ]; then echo "the uploaded bundle has sha256 $got, not ${sha} (corrupted in transfer)" >&2; exit 1; fi`,
  ].join("\n");
}

/** The tarball's one top directory -> <stage>/root, the tarball removed. */
export function unpackScript(stage: string): string {
  return [
    "set -e",
    "umask 022",
    `mkdir ${q(`${stage}/root`)}`,
    `tar -xzf ${q(`${stage}/bundle.tar.gz`)} -C ${q(`${stage}/root`)} --strip-components=1 --no-same-owner`,
    `rm -f ${q(`${stage}/bundle.tar.gz`)}`,
  ].join("\n");
}

export const removeStageScript = (stage: string): string => `rm -rf -- ${q(stage)}`;

const LISTED = `find . -type f ! -path ./MANIFEST.json ! -path ./${INSTALL_RECORD}`;

/** Every file of a version directory with mode, size and sha256 (and MANIFEST.json's sha256): parseListing reads it. */
export function listingScript(dir: string): string {
  return [
    `cd ${q(dir)} || exit 3`,
    `${LISTED} -printf 'file %m %s %P\\n'`,
    `${LISTED} -exec sha256sum -- {} +`,
    `if [ -f MANIFEST.json ]; then echo "manifest=$(sha256sum < MANIFEST.json | cut -c1-64)"; fi`,
  ].join("\n");
}

export interface Listing {
  files: Map<string, ManifestFile>;
  /** sha256 of the directory's MANIFEST.json; undefined when it has none */
  manifestSha256: string | undefined;
}

/** What listingScript printed, as the file table verifyFiles compares with a manifest. */
export function parseListing(text: string): Listing {
  const stat = new Map<string, { mode: string; size: number }>();
  const hashes = new Map<string, string>();
  let manifestSha256: string | undefined;
  for (const line of text.split("\n")) {
    const f = /^file ([0-7]{1,4}) (\d+) (.+)$/.exec(line);
    const h = /^([0-9a-f]{64}) [ *]\.\/(.+)$/.exec(line);
    if (f) stat.set(f[3]!, { mode: `0${f[1]!.padStart(3, "0").slice(-3)}`, size: Number(f[2]) });
    else if (h) hashes.set(h[2]!, h[1]!);
    else if (line.startsWith("manifest=")) manifestSha256 = line.slice("manifest=".length);
  }
  const files = new Map<string, ManifestFile>();
  for (const [path, s] of stat)
    files.set(path, { sha256: hashes.get(path) ?? "unreadable", size: s.size, mode: s.mode });
  return { files, manifestSha256 };
}

/** What the provider installed in a version directory, beside the bundle's own MANIFEST.json. */
export const InstallRecord = z.object({
  agentVersion: z.string(),
  bundleSha256: z.string(),
  manifestSha256: z.string(),
  installedAt: z.string(),
});
export type InstallRecord = z.infer<typeof InstallRecord>;

/** Point `current` at versions/<name>: a new link beside it renamed over it (readers see old or new). */
export function switchScript(l: Layout, name: string, token: string): string {
  const tmp = `${l.installDir}/.current-${token}`;
  return [`ln -sfn ${q(`versions/${name}`)} ${q(tmp)}`, `mv -T ${q(tmp)} ${q(l.current)}`].join(" && ");
}

/**
 * Publish the verified <stage>/root as versions/<name> (a directory of that name already there, e.g. a
 * damaged copy being repaired, is moved aside first), write the install record (stdin), switch `current`.
 */
export function activateScript(l: Layout, stage: string, name: string, token: string): string {
  const dest = `${l.versionsDir}/${name}`;
  const aside = `${l.versionsDir}/.replaced-${token}`;
  return [
    "set -e",
    `cat > ${q(`${stage}/root/${INSTALL_RECORD}`)}`,
    `if [ -e ${q(dest)} ]; then mv -T ${q(dest)} ${q(aside)}; fi`,
    `mv -T ${q(`${stage}/root`)} ${q(dest)}`,
    switchScript(l, name, token),
    `rm -rf -- ${q(stage)} ${q(aside)}`,
  ].join("\n");
}

/** Remove these entries of versions/ (names only). */
export function pruneScript(l: Layout, names: readonly string[]): string {
  if (names.length === 0) return "true";
  return `cd ${q(l.versionsDir)} && rm -rf -- ${names.map((n) => q(n)).join(" ")}`;
}

/** What is installed: the marker, where `current` points, versions/ with mtimes, the current install record. */
export function inspectScript(l: Layout): string {
  return [
    `[ -e ${q(l.marker)} ] && echo marker=1`,
    `echo "current=$(readlink ${q(l.current)} 2>/dev/null)"`,
    `[ -d ${q(l.versionsDir)} ] && find ${q(l.versionsDir)} -mindepth 1 -maxdepth 1 -printf 'version=%T@ %f\\n'`,
    `r=${q(`${l.current}/${INSTALL_RECORD}`)}; [ -f "$r" ] && echo "record=$(tr -d '\\n' < "$r")"`,
    "true",
  ].join("\n");
}

export interface Installed {
  marker: boolean;
  /** the version directory `current` points to (a name under versions/) */
  current: string | undefined;
  record: InstallRecord | undefined;
  /** entries of versions/, newest first */
  versions: Array<{ name: string; mtime: number }>;
}

export function parseInspect(text: string): Installed {
  const kv = keyValues(text);
  const versions = text
    .split("\n")
    .flatMap((line) => {
      const m = /^version=(\d+(?:\.\d+)?) (.+)$/.exec(line);
      return m ? [{ name: m[2]!, mtime: Number(m[1]) }] : [];
    })
    .sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? -1 : 1));
  let record: InstallRecord | undefined;
  try {
    const parsed = InstallRecord.safeParse(JSON.parse(kv.get("record") ?? "null"));
    record = parsed.success ? parsed.data : undefined;
  } catch {
    record = undefined;
  }
  return { marker: kv.get("marker") === "1", current: currentName(kv.get("current")), record, versions };
}

/**
 * Remove the installation: installDir as a whole when it carries the marker (it is the provider's),
 * otherwise only what the provider puts there.
 */
export function removeInstallScript(l: Layout): string {
  const known = [l.current, l.versionsDir, l.supervisor, l.runDir, l.marker].map(q).join(" ");
  return `if [ -e ${q(l.marker)} ]; then rm -rf -- ${q(l.installDir)}; else rm -rf -- ${known}; rmdir ${q(l.installDir)} 2>/dev/null || true; fi`;
}

/** Other fragments left in configDir (owned by other resources), one name a line; an empty configDir is removed. */
export function otherFragmentsScript(l: Layout): string {
  const d = q(l.configDir);
  return `[ -d ${d} ] && find ${d} -mindepth 1 -maxdepth 1 -name '*.json' ! -name director.json -printf '%f\\n' | sort; rmdir ${d} 2>/dev/null; true`;
}
