// The fuzz harness: a target turns a seeded Rng into a case and runs the code under test on it, checking
// the properties every case must keep (no throw but the target's own typed refusal, every refusal with
// a message that says where); runFuzz runs N cases, timing each, and counts outcomes. Pure apart from
// the clock and the memory figures it reads; bench/fuzz.ts and the *.fuzz.test.ts files both use it.
import { performance } from "node:perf_hooks";
import { caseRng, type Rng } from "./gen.ts";

/** What one case came to: accepted, or refused with a kind (its message with values taken out). */
export type Outcome = { accepted: true } | { accepted: false; kind: string };

export interface FuzzTarget<I = unknown> {
  name: string;
  /** one case from the Rng */
  generate(rng: Rng): I;
  /** runs the code under test on the case; throws PropertyFailure when a property does not hold */
  run(input: I): Outcome;
  /** the case, short enough for a failure report */
  describe(input: I): string;
}

/** A property that did not hold: the message says which. */
export class PropertyFailure extends Error {
  override name = "PropertyFailure";
}

export const ACCEPTED: Outcome = { accepted: true };

/** A refusal whose messages are checked: at least one, none empty, each passing `placed` (names where). */
export function refused(messages: readonly string[], placed: (m: string) => boolean = () => true): Outcome {
  if (messages.length === 0) throw new PropertyFailure("refused without a message");
  for (const m of messages) {
    if (typeof m !== "string" || m.trim() === "") throw new PropertyFailure("a refusal with an empty message");
    if (!placed(m)) throw new PropertyFailure(`a refusal that names no field, path or line: ${m.slice(0, 300)}`);
  }
  return { accepted: false, kind: kindOf(messages[0]!) };
}

/** A message's kind: what it says, with quoted values, numbers and the leading place taken out. */
export function kindOf(message: string): string {
  return message
    .replace(/^[^\s:]*:\d+:\s*/, "")
    .replace(/"(?:[^"\\]|\\.)*"|'[^']*'|`[^`]*`/g, "Q")
    .replace(/\b0x[0-9a-f]+\b|\d+(\.\d+)?/gi, "N")
    .slice(0, 80);
}

/** An error thrown by the code under test: a refusal if it is of the typed class, else a failure. */
export function typedRefusal(err: unknown, typed: new (...args: never[]) => Error): Outcome {
  if (!(err instanceof typed))
    throw new PropertyFailure(`untyped throw: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  return refused([err.message]);
}

export interface FuzzFailure {
  index: number;
  message: string;
  input: string;
}

export interface FuzzStats {
  target: string;
  seed: number;
  cases: number;
  ms: number;
  accepted: number;
  refused: number;
  /** refusal kinds and how often each came */
  kinds: Map<string, number>;
  slowestMs: number;
  slowestIndex: number;
  /** the first few failures (each replayable: caseRng(seed, index)) and how many in all */
  failures: FuzzFailure[];
  failureCount: number;
  memory: { before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage };
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** called every `every` cases (progress) */
  progress?: (done: number, stats: FuzzStats) => void;
  every?: number;
}

const KEPT_FAILURES = 5;

export function runFuzz<I>(target: FuzzTarget<I>, opts: FuzzOptions): FuzzStats {
  const stats: FuzzStats = {
    target: target.name,
    seed: opts.seed,
    cases: 0,
    ms: 0,
    accepted: 0,
    refused: 0,
    kinds: new Map(),
    slowestMs: 0,
    slowestIndex: -1,
    failures: [],
    failureCount: 0,
    memory: { before: process.memoryUsage(), after: process.memoryUsage() },
  };
  const started = performance.now();
  for (let i = 0; i < opts.cases; i++) {
    runCase(target, opts.seed, i, stats);
    if (opts.progress && (i + 1) % (opts.every ?? 100_000) === 0) opts.progress(i + 1, stats);
  }
  stats.ms = performance.now() - started;
  stats.memory.after = process.memoryUsage();
  return stats;
}

/** A case's input (undefined is one), or why the generator could not make it. */
function generated<I>(
  target: FuzzTarget<I>,
  seed: number,
  index: number,
): { input: I; failure?: undefined } | { failure: string } {
  try {
    return { input: target.generate(caseRng(seed, index)) };
  } catch (err) {
    return { failure: `the generator threw: ${(err as Error).stack ?? String(err)}` };
  }
}

/** Case `index`: generated, run and timed (the run alone), its outcome or failure counted. */
export function runCase<I>(target: FuzzTarget<I>, seed: number, index: number, stats: FuzzStats): void {
  const made = generated(target, seed, index);
  const t0 = performance.now();
  let outcome: Outcome | undefined;
  let failure = made.failure;
  try {
    if ("input" in made) outcome = target.run(made.input);
  } catch (err) {
    failure =
      err instanceof PropertyFailure ? err.message : `the harness threw: ${(err as Error).stack ?? String(err)}`;
  }
  const ms = performance.now() - t0;
  stats.cases++;
  if (ms > stats.slowestMs) Object.assign(stats, { slowestMs: ms, slowestIndex: index });
  if (outcome?.accepted) stats.accepted++;
  else if (outcome) {
    stats.refused++;
    stats.kinds.set(outcome.kind, (stats.kinds.get(outcome.kind) ?? 0) + 1);
  } else {
    stats.failureCount++;
    if (stats.failures.length < KEPT_FAILURES)
      stats.failures.push({
        index,
        message: failure!,
        input: "input" in made ? target.describe(made.input).slice(0, 2000) : "",
      });
  }
}
