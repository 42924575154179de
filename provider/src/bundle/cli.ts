// npm run bundle -- [--arch x64|arm64] [--node VERSION] [--out DIR] [--no-cache] [--runtime-only] [--json]
// Builds dist/bundle/lvs-agent-<ver>-node<node>-linux-<arch>.tar.gz (see build.ts). --runtime-only
// only downloads, verifies and caches the node-linux-<arch> runtime (works for every arch).
import { parseArgs } from "node:util";
import { buildBundle } from "./build.ts";
import { fetchRuntime, resolveNodeVersion } from "./runtime.ts";
import { ARCHES, BundleError, DEFAULT_NODE_VERSION, isArch } from "./plan.ts";

const USAGE = `usage: npm run bundle -- [--arch ${ARCHES.join("|")}] [--node VERSION] [--out DIR] [--no-cache] [--runtime-only] [--json]
  --arch          target architecture (default: this machine's)
  --node          Node runtime to bundle: exact version or range (default ${DEFAULT_NODE_VERSION})
  --out           output directory (default dist/bundle)
  --no-cache      build even if an identical bundle is cached, and do not cache it
  --runtime-only  only download and verify the Node runtime into ~/.cache/pulumi-lvs
  --json          print the result as JSON`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      arch: { type: "string", default: process.arch },
      node: { type: "string", default: DEFAULT_NODE_VERSION },
      out: { type: "string", default: "dist/bundle" },
      "no-cache": { type: "boolean", default: false },
      "runtime-only": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const arch = values.arch;
  if (!isArch(arch)) throw new BundleError(`--arch must be one of ${ARCHES.join(", ")} (got ${arch})`);
  const log = (m: string) => console.error(`bundle: ${m}`);

  if (values["runtime-only"]) {
    const rt = await fetchRuntime(arch, await resolveNodeVersion(arch, values.node), log);
    const res = { runtime: rt.ref, tarball: rt.tarball, cached: rt.cached };
    console.log(
      values.json ? JSON.stringify(res, null, 2) : `${rt.tarball} (${rt.ref.integrity}${rt.cached ? ", cached" : ""})`,
    );
    return 0;
  }

  const r = await buildBundle({ arch, node: values.node, outDir: values.out, cache: !values["no-cache"], log });
  if (values.json) {
    const { manifest, ...rest } = r;
    console.log(
      JSON.stringify(
        {
          ...rest,
          agentVersion: manifest.agentVersion,
          node: manifest.node,
          arch: manifest.arch,
          files: Object.keys(manifest.files).length,
        },
        null,
        2,
      ),
    );
  } else {
    const mb = (r.size / 1024 / 1024).toFixed(1);
    console.log(
      `${r.file}  ${mb} MB  sha256 ${r.sha256}  ${r.cached ? "cached" : "built"} in ${(r.ms / 1000).toFixed(1)} s`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(
      err instanceof BundleError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
        ? `bundle: ${err.message}`
        : err.stack,
    );
    process.exit(1);
  },
);
