// The agent as the tests run it inside user-mode Linux: bundled from the current sources with esbuild
// (like scripts/build.mjs) into the guest's /run, so a test never runs a stale dist/ and never writes into
// the shared working tree. npm packages stay external, imported by absolute path (the bundle lives
// outside the repository's module resolution), as test/uml/run.ts does for test files. Takes ~0.7 s in
// the guest.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { packagesByAbsolutePath } from "../../uml/run.ts";

let built: Promise<string> | undefined;

/** Path of the agent bundle, built once per process from agent/src/main.ts under repo. */
export function agentBundle(repo: string, outDir: string): Promise<string> {
  built ??= (async () => {
    mkdirSync(outDir, { recursive: true });
    const outfile = join(outDir, "lvs-agent.mjs");
    await build({
      entryPoints: [join(repo, "agent/src/main.ts")],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "inline",
      logLevel: "error",
      // createRequire(import.meta.url) (raw-socket) must resolve from the repository, not from /run
      define: { "import.meta.url": JSON.stringify(pathToFileURL(join(repo, "agent/src/main.ts")).href) },
      plugins: [packagesByAbsolutePath],
    });
    return outfile;
  })();
  return built;
}
