// The undo journal every resource operation keeps per host (I/O shell around the undo actions it is
// given): a change, once made, is recorded with how to put it back; when a later step fails, the
// journal undoes what was recorded, newest first, going on past an undo that fails, and the operation's
// error says what the host was left with. Director installs, fragment writes and host preparation all
// roll back through it, so "never half-applied" is one mechanism with one wording.
import { StepError } from "../host/executor.ts";

/** Puts one change back; it may return what it could not undo (a batch of several undos). */
export type UndoAction = () => Promise<string[] | void>;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class UndoJournal {
  private readonly entries: Array<{ what: string; undo: UndoAction }> = [];

  /** After a change took effect (or may have): how to put it back. */
  record(what: string, undo: UndoAction): void {
    this.entries.push({ what, undo });
  }

  /** Nothing recorded: the host was not changed. */
  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Undo every recorded change, newest first, once; returns what could not be undone ([] when all was). */
  async rollBack(): Promise<string[]> {
    const failed: string[] = [];
    for (const { what, undo } of this.entries.splice(0).reverse()) {
      try {
        failed.push(...((await undo()) ?? []));
      } catch (e) {
        failed.push(`${what}: ${message(e)}`);
      }
    }
    return failed;
  }

  /**
   * Roll back after `err` failed the operation on `host`, and return the error to throw: the failed
   * step's, followed by what the host was left with (`restored` when every undo succeeded).
   */
  async abort(host: string, err: unknown, restored: string): Promise<StepError> {
    const changed = !this.empty;
    const failed = await this.rollBack();
    const se = err instanceof StepError ? err : new StepError(host, "apply", message(err));
    return new StepError(se.host, se.step, `${se.detail}; ${rollbackNote(changed, failed, restored)}`, { cause: err });
  }
}

/** What a rollback left: nothing changed, all restored, or what could not be and what to do. */
export function rollbackNote(changed: boolean, failed: readonly string[], restored: string): string {
  if (!changed) return "nothing was changed";
  if (failed.length === 0) return restored;
  return `rolling back failed (${failed.join("; ")}); run the operation again to converge`;
}
