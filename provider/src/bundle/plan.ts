// The agent bundle's layout as data (pure): names, the launcher, which architectures can be built
// where, and small parsers of the inputs (the agent's version constant, the runtime's ABI number).

export const ARCHES = ["x64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];

/** The Node LTS runtime bundled when --node is not given (an exact version: builds are reproducible). */
export const DEFAULT_NODE_VERSION = "22.23.3";

/** A problem the operator can act on: the CLI prints its message alone, without a stack. */
export class BundleError extends Error {
  override name = "BundleError";
}

export function isArch(s: string): s is Arch {
  return (ARCHES as readonly string[]).includes(s);
}

/** npm package carrying the official Node runtime (bin/node) and its headers (include/node). */
export function runtimePackage(arch: Arch): string {
  return `node-linux-${arch}`;
}

/** Top directory inside the archive. */
export function bundleRoot(agentVersion: string): string {
  return `lvs-agent-${agentVersion}`;
}

export function bundleFileName(agentVersion: string, nodeVersion: string, arch: Arch): string {
  return `lvs-agent-${agentVersion}-node${nodeVersion}-linux-${arch}.tar.gz`;
}

/** Paths inside the bundle root. */
export const LAYOUT = {
  node: "bin/node",
  launcher: "bin/lvs-agent",
  agent: "lib/lvs-agent.mjs",
  nodeModules: "lib/node_modules",
  nodeLicense: "share/node/LICENSE",
  manifest: "MANIFEST.json",
} as const;

/**
 * bin/lvs-agent: runs lib/lvs-agent.mjs under the bundle's own node, whatever node (if any) the host
 * has. `readlink -f` first so that a symlink such as /usr/local/bin/lvs-agent -> <bundle>/bin/lvs-agent
 * still finds the bundle; exec keeps the PID (a service manager signals the agent itself).
 */
export function launcherScript(): string {
  return [
    "#!/bin/sh",
    "# lvs-agent launcher: the bundled node runs the bundled agent (lib/node_modules holds its addons).",
    'here="$(dirname "$(readlink -f "$0")")"',
    'exec "$here/node" "$here/../lib/lvs-agent.mjs" "$@"',
    "",
  ].join("\n");
}

/** The esbuild target for a runtime version: "22.23.3" -> "node22". */
export function esbuildTarget(nodeVersion: string): string {
  return `node${nodeMajor(nodeVersion)}`;
}

export function nodeMajor(nodeVersion: string): number {
  const m = /^v?(\d+)\.\d+\.\d+$/.exec(nodeVersion);
  if (!m) throw new BundleError(`not a node version: ${JSON.stringify(nodeVersion)}`);
  return Number(m[1]);
}

/** True for an exact x.y.z version (no registry lookup needed to resolve it). */
export function isExactVersion(spec: string): boolean {
  return /^\d+\.\d+\.\d+$/.test(spec);
}

function cmpVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** The highest release among what `npm view <pkg>@<range> version --json` printed (string or array). */
export function pickHighestVersion(viewOutput: unknown): string {
  const list = (Array.isArray(viewOutput) ? viewOutput : [viewOutput]).filter(
    (v): v is string => typeof v === "string" && isExactVersion(v),
  );
  if (!list.length) throw new BundleError("no release of the Node runtime matches that version");
  return list.sort(cmpVersions).at(-1)!;
}

/**
 * Whether a bundle for `target` can be built on a `host` machine. raw-socket is a nan addon with no
 * prebuilt binaries, so it is compiled here against the bundled Node's headers; that needs a compiler
 * for the target architecture and a way to load the result to check it, which only a machine of that
 * architecture has. Returns the reason it cannot, or undefined.
 */
export function buildabilityProblem(host: { platform: string; arch: string }, target: Arch): string | undefined {
  if (host.platform !== "linux") return `lvs-agent bundles are built on Linux (this is ${host.platform})`;
  if (host.arch === target) return undefined;
  return [
    `cannot build the linux-${target} bundle on this linux-${host.arch} machine.`,
    `raw-socket (the VRRP raw IP socket addon) is a nan addon with no prebuilt binaries: it has to be compiled`,
    `against the bundled Node's headers for ${target}. This builder compiles with the machine's own toolchain and`,
    `then proves the result by loading it under the bundled node, which only a machine of that architecture can run;`,
    `cross-compiling it is not implemented.`,
    `Build it on a linux-${target} machine instead: \`npm ci && npm run bundle -- --arch ${target}\`.`,
    `(The other parts are ready for ${target}: \`npm run bundle -- --arch ${target} --runtime-only\` fetches and`,
    `verifies the node-linux-${target} runtime here; netlink ships a linux-${target} N-API prebuild, and npm installs`,
    `koffi's @koromix/koffi-linux-${target} binary on that machine.)`,
  ].join("\n");
}

/** AGENT_VERSION from agent/src/version.ts's source text. */
export function parseAgentVersion(source: string): string {
  const m = /export const AGENT_VERSION\s*=\s*"([^"]+)"/.exec(source);
  if (!m) throw new BundleError("AGENT_VERSION not found in the agent's version.ts");
  return m[1]!;
}

/** NODE_MODULE_VERSION (the addon ABI) from include/node/node_version.h. */
export function parseNodeModuleVersion(header: string): number {
  const m = /^#define NODE_MODULE_VERSION (\d+)/m.exec(header);
  if (!m) throw new BundleError("NODE_MODULE_VERSION not found in node_version.h");
  return Number(m[1]);
}

/** ELF e_machine values of the architectures we build for. */
const ELF_MACHINE: Record<Arch, number> = { x64: 62, arm64: 183 };

/** The architecture an ELF shared object was built for, or a description of why it is not one of ours. */
export function elfArch(head: Buffer): Arch | string {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return "not an ELF file";
  if (head[4] !== 2) return "not a 64-bit ELF file";
  if (head[5] !== 1) return "not a little-endian ELF file";
  const machine = head.readUInt16LE(18);
  const arch = (Object.keys(ELF_MACHINE) as Arch[]).find((a) => ELF_MACHINE[a] === machine);
  return arch ?? `ELF machine ${machine}`;
}
