// Runs test files inside user-mode Linux (Debian `user-mode-linux`), the only place on this machine with
// a kernel that has IPVS. The host's root is the guest's root (hostfs); test/uml/init.sh is PID 1, runs
// the job, leaves its output and exit code in a per-run directory under /tmp and powers off.
//
// Node inside UML starts slowly (one CPU, every syscall a ptrace round trip), so by default the test
// files are bundled on the host with esbuild into one ESM file that runs in a single node process:
// no tsx compile and no per-file child process inside the guest (timings: test/uml/README.md).
//
//   import { runInUml } from "./run.ts";  const { code, output } = await runInUml({ files, timeoutMs });
//   CLI: node --import tsx test/uml/run.ts [--tsx] <files...>   (prints the output, exits with the code)
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { buildShim, findUmlKernel } from "../../lvsctl/src/lab/uml.ts";

export { findUmlKernel };

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const INIT = join(REPO, "test/uml/init.sh");
/** exit codes the runner reports itself, in the style of timeout(1) */
export const EXIT_TIMEOUT = 124;
export const EXIT_NO_RESULT = 125;
const CONSOLE_TAIL = 8000;

export interface UmlRunOptions {
  /** test files, absolute or relative to the repository root */
  files: string[];
  /**
   * The whole run's limit. The guest stops the job a little earlier (boot and power-off take a few
   * seconds) so that its output still arrives; at timeoutMs the host stops UML with SIGTERM.
   */
  timeoutMs: number;
  memMb?: number;
  /** "bundle" (default): esbuild on the host, one node process inside; "tsx": node --import tsx --test */
  mode?: "bundle" | "tsx";
  /** another PID 1 than init.sh (the runner's own tests) */
  init?: string;
}

export interface UmlTimings {
  /** host: bundling and the shim build before boot */
  prepareMs: number;
  /** guest uptime when init started (kernel boot) */
  bootMs?: number;
  /** guest: mounts, modprobe of IPVS and lo up */
  setupMs?: number;
  /** guest: the job itself */
  jobMs?: number;
  /** host: linux.uml start to exit */
  umlWallMs: number;
}

export interface UmlRunResult {
  /** the job's exit code, or EXIT_TIMEOUT / EXIT_NO_RESULT when UML produced none */
  code: number;
  /** the job's output; when there is no exit code, followed by the tail of the kernel console */
  output: string;
  timings: UmlTimings;
  /** the per-run directory under /tmp (already removed) */
  runDir: string;
  /** linux.uml's PID (already exited) */
  umlPid: number;
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

/**
 * The kernel command line (test/uml/README.md, "How a run goes"). Unknown KEY=VALUE arguments reach init as environment
 * variables; values must not contain spaces, so the cwd and argv travel base64-encoded.
 */
export function umlKernelArgs(o: {
  memMb: number;
  runDir: string;
  cwd: string;
  argv: string[];
  jobTimeoutS: number;
  init?: string;
}): string[] {
  if (/\s/.test(o.runDir)) throw new Error(`run directory must not contain whitespace: ${o.runDir}`);
  if (o.argv.some((a) => a.includes("\n"))) throw new Error("job arguments must not contain newlines");
  return [
    `mem=${o.memMb}M`,
    "root=/dev/root",
    "rootfstype=hostfs",
    "rootflags=/",
    "rw",
    "quiet",
    "con0=null,fd:1",
    "con=null",
    `init=${o.init ?? INIT}`,
    `UML_RUN_DIR=${o.runDir}`,
    `UML_CWD_B64=${b64(o.cwd)}`,
    `UML_ARGV_B64=${b64(o.argv.join("\n"))}`,
    `UML_TIMEOUT_S=${o.jobTimeoutS}`,
  ];
}

/**
 * The guest's limit for the job: what is left after boot, set-up and power-off. Those took up to 7.5 s
 * on a loaded 2-core machine (boot 4.6 s, set-up 2.8 s), so 15 s are kept for them, or half of a short
 * limit.
 */
export function jobTimeoutS(timeoutMs: number): number {
  return Math.max(1, Math.floor((timeoutMs - Math.min(15_000, timeoutMs / 2)) / 1000));
}

/** "init 1.71\nready 1.80\n..." (guest uptime in seconds) -> boot/setup/job durations in ms. */
export function parseTimings(text: string): Pick<UmlTimings, "bootMs" | "setupMs" | "jobMs"> {
  const at = new Map(
    text
      .trim()
      .split("\n")
      .map((l) => l.split(" ") as [string, string])
      .map(([k, v]) => [k, Number(v) * 1000]),
  );
  const span = (a: string, b: string) => (at.has(a) && at.has(b) ? Math.round(at.get(b)! - at.get(a)!) : undefined);
  const init = at.get("init");
  return {
    bootMs: init === undefined ? undefined : Math.round(init),
    setupMs: span("init", "ready"),
    jobMs: span("ready", "done"),
  };
}

/**
 * Leaves packages (node_modules) out of the bundle, imported by absolute path: native addons such as
 * netlink's find their binary relative to their own files, and the bundle lives in /tmp, outside the
 * repository's module resolution.
 */
export const packagesByAbsolutePath: Plugin = {
  name: "packages-by-absolute-path",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith("node:") || args.pluginData === "inner") return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "inner" });
      if (r.errors.length > 0) return { errors: r.errors };
      return { path: r.path, external: r.path.includes("/node_modules/") || r.external };
    });
  },
};

/**
 * Keeps each module's own import.meta.url (tests find fixtures relative to themselves), which bundling
 * would otherwise turn into the bundle's URL in /tmp: `define` swaps the expression (not text in strings)
 * for a name that each module declares at the start of its first line, so line numbers stay put.
 */
const IMPORT_META_URL = "__lvsImportMetaUrl";
const ownImportMetaUrl: Plugin = {
  name: "own-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      const declaration = `const ${IMPORT_META_URL} = ${JSON.stringify(pathToFileURL(args.path).href)}; `;
      return { contents: declaration + readFileSync(args.path, "utf8"), loader: "ts" };
    });
  },
};

async function bundle(files: string[], outfile: string): Promise<void> {
  await build({
    stdin: { contents: files.map((f) => `import ${JSON.stringify(f)};`).join("\n"), resolveDir: REPO, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "inline",
    outfile,
    logLevel: "error",
    define: { "import.meta.url": IMPORT_META_URL },
    plugins: [packagesByAbsolutePath, ownImportMetaUrl],
  });
}

async function jobArgv(opts: UmlRunOptions, files: string[], runDir: string): Promise<string[]> {
  if (opts.mode === "tsx") return [process.execPath, "--import", "tsx", "--test", "--test-concurrency=1", ...files];
  const outfile = join(runDir, "tests.mjs");
  await bundle(files, outfile);
  return [process.execPath, "--enable-source-maps", "--test-reporter=spec", outfile];
}

interface Boot {
  pid: number;
  timedOut: boolean;
  console: string;
  wallMs: number;
}

/** Runs linux.uml to its end; on timeout it is stopped with SIGTERM (by PID), which UML handles cleanly. */
function boot(kernel: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Boot> {
  const started = Date.now();
  const child = spawn(kernel, args, { stdio: ["ignore", "pipe", "pipe"], env });
  let console = "";
  const keep = (chunk: Buffer) => (console = (console + chunk.toString("utf8")).slice(-CONSOLE_TAIL));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGTERM");
  }, timeoutMs);
  return new Promise((resolveBoot, reject) => {
    child.once("error", reject);
    child.once("close", () => {
      clearTimeout(timer);
      resolveBoot({ pid: child.pid ?? -1, timedOut, console, wallMs: Date.now() - started });
    });
  });
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** The job's outcome from the files init left in the run directory. */
function outcome(runDir: string, run: Boot, timeoutMs: number): Pick<UmlRunResult, "code" | "output"> {
  const output = readIfExists(join(runDir, "output")) ?? "";
  const exit = readIfExists(join(runDir, "exit-code"));
  if (exit !== undefined && !run.timedOut) return { code: Number(exit.trim()), output };
  const why = run.timedOut ? `timed out after ${timeoutMs} ms and was stopped` : "ended without an exit code";
  const amx = /ptrace set fp regs failed/.test(run.console)
    ? "\n(the xstate shim was not in place: is `cc` installed?)"
    : "";
  return {
    code: run.timedOut ? EXIT_TIMEOUT : EXIT_NO_RESULT,
    output: `${output}\n--- UML ${why}; kernel console (tail):\n${run.console}${amx}`,
  };
}

export async function runInUml(opts: UmlRunOptions): Promise<UmlRunResult> {
  const kernel = findUmlKernel();
  if (!kernel) throw new Error("linux.uml not found: apt-get install user-mode-linux");
  const files = opts.files.map((f) => resolve(REPO, f));
  const runDir = mkdtempSync("/tmp/lvs-uml-");
  try {
    const t0 = Date.now();
    const argv = await jobArgv(opts, files, runDir);
    const shim = buildShim(runDir);
    const prepareMs = Date.now() - t0;
    const jobLimit = jobTimeoutS(opts.timeoutMs);
    const args = umlKernelArgs({
      memMb: opts.memMb ?? 1024,
      runDir,
      cwd: REPO,
      argv,
      jobTimeoutS: jobLimit,
      init: opts.init,
    });
    const run = await boot(kernel, args, { ...process.env, ...(shim ? { LD_PRELOAD: shim } : {}) }, opts.timeoutMs);
    const timings = { prepareMs, umlWallMs: run.wallMs, ...parseTimings(readIfExists(join(runDir, "timings")) ?? "") };
    return { ...outcome(runDir, run, opts.timeoutMs), timings, runDir, umlPid: run.pid };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

async function cli(argv: string[]): Promise<void> {
  const tsx = argv.includes("--tsx");
  const files = argv.filter((a) => a !== "--tsx");
  if (files.length === 0) {
    process.stderr.write("usage: node --import tsx test/uml/run.ts [--tsx] <test files...>\n");
    process.exit(2);
  }
  const r = await runInUml({ files, timeoutMs: 10 * 60_000, mode: tsx ? "tsx" : "bundle" });
  process.stdout.write(r.output);
  process.stderr.write(`uml: exit ${r.code}, timings ${JSON.stringify(r.timings)}\n`);
  process.exit(r.code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
