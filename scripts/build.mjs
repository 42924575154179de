#!/usr/bin/env node
// Bundles lvs-agent into dist/lvs-agent.mjs with esbuild: one file that starts fast (no TypeScript
// compile at run time, which costs ~1 s on small hosts and far more inside user-mode Linux). npm
// packages stay external: the native addons (raw-socket, netlink, koffi) are loaded from node_modules.
import { build } from "esbuild";

const started = Date.now();
await build({
  entryPoints: ["agent/src/main.ts"],
  outfile: "dist/lvs-agent.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
console.log(`built dist/lvs-agent.mjs in ${Date.now() - started} ms`);
