import { test } from "node:test";
import assert from "node:assert/strict";
import {
  isRuntimeFile,
  matchesPlatform,
  packageOfImport,
  planFiles,
  planPackages,
  resolutionCandidates,
  runtimeRoots,
  type PackageInfo,
} from "./packages.ts";

const pkg = (path: string, o: Partial<PackageInfo> = {}): PackageInfo => ({
  path,
  name: path.split("/node_modules/").at(-1)!,
  version: "1.0.0",
  dependencies: {},
  optionalDependencies: {},
  files: ["package.json", "index.js"],
  ...o,
});

const KOFFI_PLATFORMS = ["linux-x64", "linux-arm64", "win32-x64", "darwin-arm64", "linux-riscv64"];

/** The installed tree of this project's agent dependencies, in miniature. */
function graph(extra: PackageInfo[] = []): Map<string, PackageInfo> {
  const koffiPlatform = (p: string) => {
    const [os, cpu] = p.split("-");
    const dir = `${os === "linux" ? "linux" : os}_${cpu}`;
    return pkg(`@koromix/koffi-${p}`, {
      os: [os!],
      cpu: [cpu!],
      files: [
        "README.md",
        "index.js",
        "package.json",
        `${dir}/koffi.node`,
        ...(os === "linux" ? [`musl_${cpu}/koffi.node`] : []),
      ],
    });
  };
  const list = [
    pkg("zod", {
      files: [
        "LICENSE",
        "README.md",
        "index.js",
        "index.cjs",
        "index.d.ts",
        "package.json",
        "src/index.ts",
        "v4/core/core.js",
        "v4/core/core.d.cts",
      ],
    }),
    pkg("netlink", {
      dependencies: { "@types/node": "^12", "node-addon-api": "*", "node-gyp-build": "^4" },
      files: [
        "LICENSE",
        "binding.gyp",
        "dist/index.js",
        "dist/index.js.map",
        "dist/index.d.ts",
        "package.json",
        "src/netlink.cc",
        "prebuilds/linux-x64/node.napi.node",
        "prebuilds/linux-arm64/node.napi.node",
        "prebuilds/linux-arm/node.napi.node",
      ],
    }),
    pkg("netlink/node_modules/@types/node", { files: ["package.json", "index.d.ts"] }),
    pkg("node-addon-api", { files: ["package.json", "napi.h", "index.js"] }),
    pkg("node-gyp-build", { files: ["package.json", "index.js", "node-gyp-build.js", "README.md"] }),
    pkg("raw-socket", {
      dependencies: { nan: "2.19.*" },
      files: [
        "README.md",
        "binding.gyp",
        "index.js",
        "package.json",
        "src/raw.cc",
        "build/Release/raw.node",
        "build/Makefile",
        "example/ping.js",
      ],
    }),
    pkg("nan", { files: ["package.json", "nan.h", "include_dirs.js"] }),
    pkg("koffi", {
      optionalDependencies: Object.fromEntries(KOFFI_PLATFORMS.map((p) => [`@koromix/koffi-${p}`, "3.3.4"])),
      files: [
        "LICENSE.txt",
        "cnoke.cjs",
        "doc/index.md",
        "index.cjs",
        "index.js",
        "package.json",
        "src/koffi/index.cjs",
        "src/koffi/src/ffi.cc",
        "vendor/node-api-headers/LICENSE",
      ],
    }),
    ...KOFFI_PLATFORMS.filter((p) => p !== "linux-arm64").map(koffiPlatform),
    ...extra,
  ];
  return new Map(list.map((p) => [p.path, p]));
}

const ROOTS = ["koffi", "netlink", "raw-socket", "zod"];

test("roots: external imports and createRequire(...)(name) calls, as package names without builtins", () => {
  const code = `import { z } from "zod";\nvar raw = createRequire2(import.meta.url)("raw-socket");\nconst r = createRequire(x)('netlink/dist/raw.js');`;
  assert.deepEqual(runtimeRoots(["zod", "node:fs", "fs", "koffi", "zod/v4"], code), [
    "koffi",
    "netlink",
    "raw-socket",
    "zod",
  ]);
  assert.equal(packageOfImport("@scope/pkg/sub/path.js"), "@scope/pkg");
  assert.equal(packageOfImport("child_process"), undefined);
  assert.equal(packageOfImport("./local.js"), undefined);
});

test("resolution candidates follow Node's node_modules lookup, nearest first", () => {
  assert.deepEqual(resolutionCandidates("", "zod"), ["zod"]);
  assert.deepEqual(resolutionCandidates("netlink", "@types/node"), ["netlink/node_modules/@types/node", "@types/node"]);
  assert.deepEqual(resolutionCandidates("a/node_modules/@s/b", "c"), [
    "a/node_modules/@s/b/node_modules/c",
    "a/node_modules/c",
    "c",
  ]);
});

test("platform matching of optional dependencies, npm negations included", () => {
  assert.ok(matchesPlatform({}, "x64"));
  assert.ok(matchesPlatform({ os: ["linux"], cpu: ["x64"] }, "x64"));
  assert.ok(!matchesPlatform({ os: ["linux"], cpu: ["x64"] }, "arm64"));
  assert.ok(!matchesPlatform({ os: ["darwin"], cpu: ["x64"] }, "x64"));
  assert.ok(matchesPlatform({ os: ["!win32"] }, "arm64"));
  assert.ok(!matchesPlatform({ cpu: ["!arm64"] }, "arm64"));
});

test("generic file filter keeps JavaScript, JSON, binaries and licences only", () => {
  for (const f of [
    "index.js",
    "a/b.cjs",
    "m.mjs",
    "package.json",
    "LICENSE",
    "LICENSE.txt",
    "licence.md",
    "NOTICE",
    "x/y.node",
  ])
    assert.ok(isRuntimeFile(f), f);
  for (const f of [
    "README.md",
    "index.d.ts",
    "a.d.cts",
    "x.js.map",
    "src/raw.cc",
    "binding.gyp",
    "test/a.js",
    "example/ping.js",
    "docs/x.js",
    "a/__tests__/b.js",
    "x.ts",
  ]) {
    assert.ok(!isRuntimeFile(f), f);
  }
});

test("x64 plan: runtime packages only, each with only the target's binaries", () => {
  const plan = planPackages(ROOTS, graph(), "x64");
  assert.deepEqual(
    plan.packages.map((p) => p.path),
    ["@koromix/koffi-linux-x64", "koffi", "netlink", "node-gyp-build", "raw-socket", "zod"],
  );
  const by = (n: string) => plan.packages.find((p) => p.name === n)!;
  // koffi: only linux_x64 of its platform package (no musl, no other OS/CPU packages); no C++ or install tool
  assert.deepEqual(by("@koromix/koffi-linux-x64").files, ["index.js", "linux_x64/koffi.node", "package.json"]);
  assert.deepEqual(by("koffi").files, [
    "LICENSE.txt",
    "index.cjs",
    "index.js",
    "package.json",
    "src/koffi/index.cjs",
    "vendor/node-api-headers/LICENSE",
  ]);
  assert.equal(by("@koromix/koffi-linux-x64").native, "napi-prebuilt");
  // netlink: its linux-x64 N-API prebuild only
  assert.deepEqual(by("netlink").files, [
    "LICENSE",
    "dist/index.js",
    "package.json",
    "prebuilds/linux-x64/node.napi.node",
  ]);
  // raw-socket: the installed build (the builder's node ABI) is not shipped; the rebuild provides raw.node
  assert.equal(by("raw-socket").native, "rebuild");
  assert.deepEqual(by("raw-socket").files, ["index.js", "package.json"]);
  assert.deepEqual(by("raw-socket").rebuilt, ["build/Release/raw.node"]);
  assert.deepEqual(by("zod").files, ["LICENSE", "index.cjs", "index.js", "package.json", "v4/core/core.js"]);
  const skipped = new Map(plan.skipped.map((s) => [s.name, s.reason]));
  assert.match(skipped.get("nan")!, /C\+\+ headers/);
  assert.match(skipped.get("node-addon-api")!, /C\+\+ headers/);
  assert.match(skipped.get("@types/node")!, /declarations/);
  assert.match(skipped.get("@koromix/koffi-win32-x64")!, /not for linux-x64/);
  assert.match(skipped.get("@koromix/koffi-linux-arm64")!, /not installed/);
});

test("arm64 plan needs koffi's linux-arm64 binary package, and takes only arm64 files when it is there", () => {
  assert.throws(
    () => planPackages(ROOTS, graph(), "arm64"),
    /koffi needs @koromix\/koffi-linux-arm64 for linux-arm64, which is not installed/,
  );
  const arm = pkg("@koromix/koffi-linux-arm64", {
    os: ["linux"],
    cpu: ["arm64"],
    files: ["index.js", "package.json", "linux_arm64/koffi.node", "musl_arm64/koffi.node"],
  });
  const plan = planPackages(ROOTS, graph([arm]), "arm64");
  const paths = plan.packages.map((p) => p.path);
  assert.ok(paths.includes("@koromix/koffi-linux-arm64") && !paths.includes("@koromix/koffi-linux-x64"));
  assert.deepEqual(plan.packages.find((p) => p.name === "@koromix/koffi-linux-arm64")!.files, [
    "index.js",
    "linux_arm64/koffi.node",
    "package.json",
  ]);
  assert.deepEqual(
    plan.packages.find((p) => p.name === "netlink")!.files.filter((f) => f.endsWith(".node")),
    ["prebuilds/linux-arm64/node.napi.node"],
  );
});

test("unknown native code stops the plan; missing required dependencies too, all reported at once", () => {
  const g = graph([
    pkg("sneaky", { files: ["package.json", "index.js", "binding.gyp", "build/Release/sneaky.node"] }),
    pkg("binonly", { files: ["package.json", "lib/x.node"] }),
  ]);
  g.set("zod", { ...g.get("zod")!, dependencies: { ghost: "1" } });
  assert.throws(
    () => planPackages([...ROOTS, "sneaky", "binonly"], g, "x64"),
    (e: Error) =>
      /sneaky: a native addon \(binding\.gyp\) with no bundling rule/.test(e.message) &&
      /sneaky: native binary build\/Release\/sneaky\.node is not known to be N-API/.test(e.message) &&
      /binonly: native binary lib\/x\.node/.test(e.message) &&
      /ghost \(needed by zod\) is not installed/.test(e.message),
  );
  assert.throws(
    () => planPackages(["missing-root"], graph(), "x64"),
    /missing-root \(needed by lvs-agent\) is not installed/,
  );
});

test("a nested copy is resolved from its dependent first, and bundled at its nested path", () => {
  const g = graph([pkg("netlink/node_modules/node-gyp-build", { version: "9.9.9" })]);
  const plan = planPackages(["netlink"], g, "x64");
  assert.deepEqual(
    plan.packages.map((p) => `${p.path}@${p.version}`),
    ["netlink@1.0.0", "netlink/node_modules/node-gyp-build@9.9.9"],
  );
});

test("planFiles on its own: an N-API package keeps its binaries", () => {
  const r = planFiles(
    pkg("netlink", { files: ["prebuilds/linux-x64/node.napi.node", "prebuilds/linux-ia32/node.napi.node"] }),
    "x64",
  );
  assert.deepEqual(r, { files: ["prebuilds/linux-x64/node.napi.node"], native: "napi-prebuilt", problems: [] });
});
