// Host preparation on one host over its session (the thin shell around record.ts): take the host's
// lock and read the record and the actual state (one command), reconcile, and carry the operations out
// in order as one script (batch.ts), releasing the lock at its end. When an operation fails, the
// ones already made are undone in reverse (the undo journal, ../../undo.ts), so nothing is left
// half-applied; when even that fails (the connection is gone), the write-ahead record lets a re-run
// converge. Every step is named in errors:
// "host 10.0.0.11: step 'add 10.0.0.100/32 on lo': ...".
import { commandFailure } from "../../../host/messages.ts";
import { StepError, type HostSession } from "../../../host/executor.ts";
import type { ExecResult } from "../../../host/ssh.ts";
import { progress } from "../../../operation/progress.ts";
import { stopSignal } from "../../../operation/operation.ts";
import { inverse, parseRecord, reconcile, toRead, type Actual, type Op, type PrepRecord, type Want } from "./record.ts";
import { batchScript, parseOutcome } from "./batch.ts";
import { lockScript, unlockScript } from "../../../host/lock.ts";
import {
  describeOp,
  opAction,
  parseRead,
  readScript,
  type Action,
  type PrepPaths,
  type ReadQuery,
} from "./commands.ts";
import { UndoJournal } from "../../undo.ts";

/** How a run reports and pauses: `done` after each operation carried out (the apply log). */
export interface ApplyHooks {
  done?: (op: Op) => void | Promise<void>;
  /** end a batch after this operation (a test's pause point between two operations) */
  breakAfter?: (op: Op) => boolean;
  /** how an operation is carried out; opAction normally (unit tests give harmless commands) */
  render?: (op: Op, paths: PrepPaths) => Action;
}

export interface Inspection {
  record: PrepRecord | undefined;
  text: string | undefined;
  actual: Actual;
}

const union = (a: ReadQuery, b: ReadQuery): ReadQuery => {
  const u = (x: string[], y: string[]) => [...new Set([...x, ...y])].sort();
  return { sysctls: u(a.sysctls, b.sysctls), files: u(a.files, b.files), units: u(a.units, b.units) };
};
const covers = (q: ReadQuery, need: ReadQuery) =>
  need.sysctls.every((k) => q.sysctls.includes(k)) &&
  need.files.every((f) => q.files.includes(f)) &&
  need.units.every((u) => q.units.includes(u));

/**
 * The record and the actual state of everything it (and want) names. Reads only, apart from `first`
 * (the lock) run ahead in the same command. The record is read with what want names; only when the
 * record names more (another holder's needs) does a second read follow.
 */
export async function inspect(
  h: HostSession,
  paths: PrepPaths,
  want?: Want,
  first?: { script: string; ran: () => void },
): Promise<Inspection> {
  const read = async (q: ReadQuery, pre?: typeof first) => {
    const script = `${pre ? `${pre.script}\n` : ""}${readScript(q, paths.root)}`;
    // The lock's wait gives way to a stop (Ctrl-C, customTimeouts): nothing has changed yet.
    const out = await h.step(pre ? "lock and read host state" : "read host state", (ssh) =>
      ssh.check(script, pre ? { signal: stopSignal() } : {}),
    );
    pre?.ran();
    return h.step("read host state", async () => parseRead(out, q));
  };
  let q = union(toRead(undefined, want), { sysctls: [], files: [paths.record], units: [] });
  let actual = await read(q, first);
  const text = actual.files[paths.record];
  const record = await h.step("read state record", async () => parseRecord(text, paths.record));
  const need = toRead(record, want);
  if (!covers(q, need)) actual = await read((q = union(q, need)));
  return { record, text, actual };
}

export interface Converged {
  record: PrepRecord | undefined;
  ops: Op[];
  /** systemd runs on the host (its units were enabled) */
  systemd: boolean;
}

/** Bring the host to what `holder` wants (release it when want is undefined), under the host's lock. */
export async function converge(
  h: HostSession,
  paths: PrepPaths,
  holder: string,
  want: Want | undefined,
  hooks: ApplyHooks = {},
): Promise<Converged> {
  const unlock = unlockScript(paths.lock);
  // Unlocked at the end only when this call took the lock: one that gave up waiting must not remove
  // the holder's (where the owner is unknown, the unlock cannot tell them apart).
  let [locked, unlocked] = [false, false];
  try {
    const { record, text, actual } = await inspect(h, paths, want, {
      script: lockScript(paths.lock),
      ran: () => (locked = true),
    });
    const plan = reconcile(record, text, holder, want, actual);
    if (plan.problems.length > 0)
      throw new StepError(h.host, "plan", `${plan.problems.join("; ")}; nothing was changed`);
    if (plan.ops.length > 0) {
      await applyOps(h, paths, plan.ops, hooks, unlock);
      unlocked = true;
    }
    return { record: plan.record, ops: plan.ops, systemd: actual.systemd };
  } finally {
    if (locked && !unlocked) await h.ssh.exec(unlock, { last: true }).catch(() => undefined);
  }
}

/** ops cut where hooks.breakAfter says, each piece one batch. */
function batches(ops: Op[], breakAfter: ApplyHooks["breakAfter"]): Op[][] {
  const out: Op[][] = [[]];
  for (const op of ops) {
    out.at(-1)!.push(op);
    if (breakAfter?.(op)) out.push([]);
  }
  return out.filter((b) => b.length > 0);
}

/**
 * Carry out ops in order; `then` (shell) runs once all succeeded, in the same command. A failure rolls
 * back what took effect: the batch's own report says which did; when the command's end is unknown (lost
 * or timed out) every operation of the batch is undone, which is safe because each inverse only puts
 * back the value read before the run.
 */
export async function applyOps(
  h: HostSession,
  paths: PrepPaths,
  ops: Op[],
  hooks: ApplyHooks = {},
  then?: string,
): Promise<void> {
  const render = hooks.render ?? opAction;
  const journal = new UndoJournal();
  let changed = 0;
  // One journal entry per batch: its inverses go back as one batch too.
  const undoable = (took: Op[]) => {
    changed += took.length;
    journal.record(`undo ${took.length} change(s)`, () => undoOps(h, paths, took, render));
  };
  const restored = () => `the ${changed} change(s) made before it were rolled back`;
  const pieces = batches(ops, hooks.breakAfter);
  for (const [n, batch] of pieces.entries()) {
    const final = n === pieces.length - 1;
    const script = batchScript(
      batch.map((op) => render(op, paths)),
      { then: final ? then : undefined },
    );
    let r: ExecResult;
    // Shown as a step, though not run as one: a stop asked now must not skip the journal's undo below.
    progress(h.host, `step 'apply ${batch.length} change(s)'`);
    try {
      // With `then` (the unlock) the final batch ends the operation: no channel is opened behind it.
      r = await h.ssh.exec(script, { last: final && then !== undefined });
    } catch (err) {
      undoable(batch);
      const e = new StepError(
        h.host,
        describeOp(batch[0]!),
        `${(err as Error).message} (whether its ${batch.length} operation(s) took effect is unknown)`,
      );
      throw await journal.abort(h.host, e, restored());
    }
    const carried = parseOutcome(r.stdout).done.map((i) => batch[i]!);
    if (carried.length > 0) undoable(carried);
    for (const op of carried) await hooks.done?.(op);
    if (r.code !== 0) {
      const failed = batch[carried.length];
      const why = commandFailure(h.ssh.label, failed ? shown(render(failed, paths)) : "the operations", r) ?? "";
      throw await journal.abort(h.host, new StepError(h.host, failed ? describeOp(failed) : "apply", why), restored());
    }
  }
}

/** Undo `took` in reverse, as one batch going on past failures; returns what could not be undone. */
async function undoOps(
  h: HostSession,
  paths: PrepPaths,
  took: Op[],
  render: NonNullable<ApplyHooks["render"]>,
): Promise<string[]> {
  const undos = [...took].reverse().flatMap((op) => inverse(op) ?? []);
  if (undos.length === 0) return [];
  const r = await h.ssh.exec(
    batchScript(
      undos.map((op) => render(op, paths)),
      { keepGoing: true },
    ),
  );
  const outcome = parseOutcome(r.stdout);
  const failed = outcome.failed.map(
    (f) => `${describeOp(undos[f.index]!)}: exit ${f.code}${f.stderr ? `: ${f.stderr.trim()}` : ""}`,
  );
  if (outcome.done.length + outcome.failed.length < undos.length) failed.push(`the rollback exited ${r.code} early`);
  return failed;
}

/** An action as failure messages show it: its command, or the file it writes. */
const shown = (a: Action): string => ("cmd" in a ? a.cmd : `write ${a.write.path}`);
