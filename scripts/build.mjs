#!/usr/bin/env node
// `npm run build`: both bundles, dist/lvs-agent.mjs and dist/pulumi-resource-lvs.mjs (bin/bundles.mjs),
// built now whatever their age. `node scripts/build.mjs lvs-agent` builds one.
import * as esbuild from "esbuild";
import { BUNDLES, build } from "../bin/bundles.mjs";

const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(BUNDLES);
for (const name of names) {
  if (!(name in BUNDLES)) throw new Error(`no bundle named ${name}: one of ${Object.keys(BUNDLES).join(", ")}`);
  const started = Date.now();
  await build(name, esbuild);
  console.log(`built dist/${name}.mjs in ${Date.now() - started} ms`);
}
