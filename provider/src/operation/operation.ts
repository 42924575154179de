// The provider operation in progress (I/O edge, process-wide): which resource it works on (so progress
// lines land on it in the CLI) and whether it has been asked to stop, by the engine's Cancel (Ctrl-C in
// `pulumi up`) or by its customTimeouts deadline. A stop takes effect at the next step boundary
// (executor.ts asks `stopPoint` before each step): the step in flight finishes, the next forward step
// fails naming host and step, and the operation's own undo runs as after any failed step, so every
// host is left as before the operation or as after it, never half-way.
import { AsyncLocalStorage } from "node:async_hooks";

interface Operation {
  readonly urn: string;
  readonly abort: AbortController;
  /** why it must stop (set once); undefined while it may go on */
  stop?: string;
  /** the stop has been raised once; what runs after it is the undo, which must not be refused */
  raised?: boolean;
}

const current = new AsyncLocalStorage<Operation>();
const running = new Set<Operation>();

/**
 * Run fn as the operation on urn. With timeoutSeconds (customTimeouts), the operation is asked to
 * stop once they pass.
 */
export async function withOperation<T>(urn: string, fn: () => Promise<T>, timeoutSeconds = 0): Promise<T> {
  const op: Operation = { urn, abort: new AbortController() };
  running.add(op);
  const timer =
    timeoutSeconds > 0
      ? setTimeout(
          () => requestStop(op, `the operation's timeout (${timeoutSeconds} s, customTimeouts) passed`),
          timeoutSeconds * 1000,
        )
      : undefined;
  try {
    return await current.run(op, fn);
  } finally {
    clearTimeout(timer);
    running.delete(op);
  }
}

function requestStop(op: Operation, why: string): void {
  if (op.stop !== undefined) return;
  op.stop = why;
  op.abort.abort(why);
}

/** The engine's Cancel: every running operation stops at its next safe point. */
export function stopAll(why: string): void {
  for (const op of running) requestStop(op, why);
}

/** Resolves once no operation runs (after a stop: once their undo has run). */
export async function untilIdle(pollMs = 100): Promise<void> {
  while (running.size > 0) await new Promise((r) => setTimeout(r, pollMs));
}

/** The URN of the operation in progress, if any. */
export const currentUrn = (): string | undefined => current.getStore()?.urn;

/**
 * Called before each step: throws (once per operation) when the operation has been asked to stop.
 * Steps after that one are the operation's undo and run.
 */
export function stopPoint(): void {
  const why = claimStop();
  if (why !== undefined) throw new Error(`stopped before this step: ${why}`);
}

/** Aborted when the operation in progress must stop: for a transfer to give up mid-stream. */
export const stopSignal = (): AbortSignal | undefined => current.getStore()?.abort.signal;

/** Why the operation must stop, the first time it is asked after a stop (later: undefined, the undo runs). */
export function claimStop(): string | undefined {
  const op = current.getStore();
  if (!op?.stop || op.raised) return undefined;
  op.raised = true;
  return op.stop;
}
