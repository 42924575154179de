// `npm run bench [-- failover|idle|ipvs|provider|lab|loss|freeze|gc|rollout|fuzz ...] [--runs=N] [--sites=N] [--cases=kill,term,linkdown] [--warmup=SECONDS]
// [--rtt=MS,...] [--window=SECONDS] [--fuzz-cases=N] [--fuzz-seed=S] [--fuzz-targets=a,b] [--fuzz-jobs=J] [--fuzz-max-ms=MS]
// [--fuzz-corpus=DIR]`: runs the named benchmarks (all by default) and prints one result line per case on stdout,
// after a machine header. --rtt: the provider bench's emulated round-trip times (default 0,20,50; 0 = direct).
// --window: the loss bench's window of loss at 1 s adverts (default 60; at 0.1 s adverts a third of it).
// fuzz (bench/fuzz.ts): --fuzz-cases per target (default 1,000,000), --fuzz-seed (default fixed), --fuzz-targets
// (default all), --fuzz-jobs targets at a time (default: the cores), --fuzz-max-ms the slowest a case may be
// (default 1000), --fuzz-corpus the keepalived.conf seeds (default ../shared/keepalived-corpus).
// Per-run details and progress go to stderr. Needs root (lab namespaces) and keepalived, except fuzz.
import { cpus, release } from "node:os";
import { parseArgs } from "node:util";
import { spawnSync } from "node:child_process";
import { isRoot } from "../test/helpers/netns.ts";
import { CASES, benchFailover, type Case } from "./failover.ts";
import { benchIdle } from "./idle.ts";
import { benchHealthChecks } from "./health-checks.ts";
import { benchIpvs } from "./ipvs.ts";
import { benchProvider } from "./provider.ts";
import { benchLab } from "./lab.ts";
import { benchFreeze } from "./freeze.ts";
import { benchLoss } from "./loss.ts";
import { benchGc } from "./gc.ts";
import { benchRollout } from "./rollout.ts";
import { benchFuzz, DEFAULT_CORPUS, defaultJobs, FUZZ_SEED, fuzzTargetNames, type FuzzOptions } from "./fuzz.ts";

const BENCHES = ["failover", "idle", "ipvs", "provider", "lab", "freeze", "loss", "gc", "rollout", "fuzz"] as const;
type Bench = (typeof BENCHES)[number];

function header(): string {
  const ka = spawnSync("keepalived", ["--version"], { encoding: "utf8" }).stderr?.split("\n")[0] ?? "";
  const cpu = cpus();
  return `# node ${process.version}, ${cpu.length} cores (${cpu[0]?.model ?? "?"}), kernel ${release()}, ${ka.trim() || "keepalived ?"}`;
}

interface Options {
  benches: Bench[];
  runs: number;
  cases: Case[];
  warmupMs: number;
  rtts: number[];
  windowS: number;
  sites: number;
  fuzz: FuzzOptions;
}

function positiveNumber(v: string | undefined, dflt: number, name: string): number {
  const n = Number(v ?? dflt);
  if (!(n > 0)) throw new Error(`--${name} must be a positive number`);
  return n;
}

function parse(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      runs: { type: "string" },
      cases: { type: "string" },
      warmup: { type: "string" },
      rtt: { type: "string" },
      window: { type: "string" },
      sites: { type: "string" },
      "fuzz-cases": { type: "string" },
      "fuzz-seed": { type: "string" },
      "fuzz-targets": { type: "string" },
      "fuzz-jobs": { type: "string" },
      "fuzz-max-ms": { type: "string" },
      "fuzz-corpus": { type: "string" },
    },
  });
  const unknown = positionals.filter((p) => !(BENCHES as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`unknown benchmark(s) ${unknown.join(", ")}; known: ${BENCHES.join(", ")}`);
  const cases = (values.cases?.split(",") ?? [...CASES]) as Case[];
  const bad = cases.filter((c) => !CASES.includes(c));
  if (bad.length) throw new Error(`unknown case(s) ${bad.join(", ")}; known: ${CASES.join(", ")}`);
  const runs = Math.ceil(positiveNumber(values.runs, 5, "runs"));
  const warmupMs = positiveNumber(values.warmup, 30, "warmup") * 1000;
  const rtts = (values.rtt ?? "0,20,50").split(",").map(Number);
  if (!rtts.every((r) => r >= 0)) throw new Error("--rtt must be a comma-separated list of milliseconds (0 or more)");
  const windowS = positiveNumber(values.window, 60, "window");
  return {
    benches: positionals.length ? (positionals as Bench[]) : [...BENCHES],
    runs,
    cases,
    warmupMs,
    rtts,
    windowS,
    sites: Math.ceil(positiveNumber(values.sites, 3, "sites")),
    fuzz: {
      cases: Math.ceil(positiveNumber(values["fuzz-cases"], 1_000_000, "fuzz-cases")),
      seed: Number(values["fuzz-seed"] ?? FUZZ_SEED) >>> 0,
      targets: fuzzTargetNames(values["fuzz-targets"]),
      jobs: Math.ceil(positiveNumber(values["fuzz-jobs"], defaultJobs(), "fuzz-jobs")),
      maxMs: positiveNumber(values["fuzz-max-ms"], 1000, "fuzz-max-ms"),
      corpus: values["fuzz-corpus"] ?? DEFAULT_CORPUS,
    },
  };
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  if (!isRoot && opts.benches.some((b) => b !== "fuzz"))
    throw new Error("the benchmarks need root (network namespaces)");
  console.log(header());
  for (const b of opts.benches) {
    if (b === "failover") await benchFailover({ runs: opts.runs, cases: opts.cases });
    else if (b === "idle") await benchIdle({ warmupMs: opts.warmupMs });
    else if (b === "ipvs")
      for (const line of [...(await benchIpvs()), ...(await benchHealthChecks())]) console.log(line);
    else if (b === "lab") for (const line of await benchLab(opts.runs)) console.log(line);
    else if (b === "freeze") await benchFreeze({ runs: opts.runs });
    else if (b === "loss") await benchLoss({ windowS: opts.windowS });
    else if (b === "gc") await benchGc();
    else if (b === "rollout") for (const line of await benchRollout(opts.sites)) console.log(line);
    else if (b === "fuzz") await benchFuzz(opts.fuzz);
    else for (const line of await benchProvider(undefined, opts.rtts)) console.log(line);
  }
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(`bench: ${err.message}`);
    process.exit(1);
  },
);
