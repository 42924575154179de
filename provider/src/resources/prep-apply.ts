// Host preparation on one host over its session (the thin shell around host/state.ts): take the host's
// lock, read the record and the actual state, reconcile, and carry the operations out in order. When an
// operation fails, the ones this call already made are undone in reverse, so nothing is left
// half-applied; when even that fails (the connection is gone), the write-ahead record lets a re-run
// converge. Every step is named in errors: "host 10.0.0.11: step 'add 10.0.0.100/32 on lo': ...".
import { StepError, type HostSession, type Remote } from "../host/executor.ts";
import { inverse, parseRecord, reconcile, toRead, type Actual, type Op, type PrepRecord, type Want } from "../host/state.ts";
import { describeOp, lockScript, mkdirFor, opAction, parseRead, readScript, unlockScript, type Action, type PrepPaths } from "./prep-commands.ts";

/** Called after each operation carried out: the apply log, and a test's pause. */
export type AfterOp = (op: Op) => void | Promise<void>;

export interface Inspection {
  record: PrepRecord | undefined;
  text: string | undefined;
  actual: Actual;
}

/** The record and the actual state of everything it (and want) names. Reads only. */
export async function inspect(h: HostSession, paths: PrepPaths, want?: Want): Promise<Inspection> {
  const { text, record } = await h.step("read state record", async (ssh) => {
    const t = await ssh.readFile(paths.record);
    return { text: t, record: parseRecord(t, paths.record) };
  });
  const q = toRead(record, want);
  const actual = await h.step("read host state", async (ssh) => parseRead(await ssh.check(readScript(q, paths.root)), q));
  return { record, text, actual };
}

export interface Converged {
  record: PrepRecord | undefined;
  ops: Op[];
  /** systemd runs on the host (its units were enabled) */
  systemd: boolean;
}

/** Bring the host to what `holder` wants (release it when want is undefined), under the host's lock. */
export async function converge(h: HostSession, paths: PrepPaths, holder: string, want: Want | undefined, after: AfterOp = () => {}): Promise<Converged> {
  await h.step("lock", (ssh) => ssh.check(lockScript(paths.lock)));
  try {
    const { record, text, actual } = await inspect(h, paths, want);
    const plan = reconcile(record, text, holder, want, actual);
    if (plan.problems.length > 0) throw new StepError(h.host, "plan", `${plan.problems.join("; ")}; nothing was changed`);
    await applyOps(h, paths, plan.ops, after);
    return { record: plan.record, ops: plan.ops, systemd: actual.systemd };
  } finally {
    await h.ssh.exec(unlockScript(paths.lock)).catch(() => undefined);
  }
}

export async function applyOps(h: HostSession, paths: PrepPaths, ops: Op[], after: AfterOp = () => {}): Promise<void> {
  const done: Op[] = [];
  const dirs = new Set<string>();
  for (const op of ops) {
    try {
      await h.step(describeOp(op), (ssh) => run(ssh, opAction(op, paths), dirs));
    } catch (err) {
      throw await rollBack(h, paths, done, err);
    }
    done.push(op);
    await after(op);
  }
}

/** Carry out one action; `dirs` remembers the directories this call already made sure of. */
async function run(ssh: Remote, a: Action, dirs = new Set<string>()): Promise<void> {
  if ("cmd" in a) {
    await ssh.check(a.cmd);
    return;
  }
  const mkdir = mkdirFor(a.write.path);
  if (!dirs.has(mkdir)) await ssh.check(mkdir);
  dirs.add(mkdir);
  await ssh.writeFile(a.write.path, a.write.content);
}

/** Undo `done` in reverse; the error says what was undone, or what could not be. */
async function rollBack(h: HostSession, paths: PrepPaths, done: Op[], err: unknown): Promise<StepError> {
  const failed: string[] = [];
  for (const op of [...done].reverse()) {
    const undo = inverse(op);
    if (!undo) continue;
    try {
      await run(h.ssh, opAction(undo, paths));
    } catch (e) {
      failed.push(`${describeOp(undo)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const note =
    done.length === 0
      ? "nothing was changed"
      : failed.length === 0
        ? `the ${done.length} change(s) made before it were rolled back`
        : `rolling back failed (${failed.join("; ")}); run the operation again to converge`;
  const e = err instanceof StepError ? err : new StepError(h.host, "apply", err instanceof Error ? err.message : String(err));
  return new StepError(e.host, e.step, `${e.detail}; ${note}`, { cause: err });
}
