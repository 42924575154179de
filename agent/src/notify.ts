// keepalived-compatible notify hooks, run as an unprivileged user: the state's own hook (notify_master,
// notify_backup, notify_fault, notify_stop) with no arguments, then `notify` (our `any`) with
// `INSTANCE <name> <STATE> <priority>`. Existing keepalived notify scripts work unchanged.
import type { VrrpInstanceConfig } from "./config/schema.ts";
import { log as defaultLog, type Logger } from "./log.ts";
import { startScript, type ScriptUser } from "./track/runas.ts";

export type NotifyHooks = VrrpInstanceConfig["notify"];
/** INIT is accepted so callers can pass any VRRP state; keepalived has no hook for it, so nothing runs. */
export type NotifyState = "INIT" | "MASTER" | "BACKUP" | "FAULT" | "STOP";

const STATE_HOOK: Record<Exclude<NotifyState, "INIT">, keyof NotifyHooks> = {
  MASTER: "master",
  BACKUP: "backup",
  FAULT: "fault",
  STOP: "stop",
};
/** A hung hook is killed after this long, so later transitions' hooks still run. */
export const NOTIFY_TIMEOUT_MS = 30_000;

/** Per instance, the hooks of the latest transition; each waits for the previous one. */
const queues = new Map<string, Promise<void>>();

/**
 * Queues the hooks for a transition and returns at once: the VRRP state machine must never wait for an
 * operator's script. Hooks of one instance run in transition order (a quick BACKUP->MASTER->BACKUP must
 * not leave a script believing it is master). `user` is global.scriptUser (root only when the config allows it by name). The promise resolves when
 * they have run; it never rejects (failures are logged).
 */
export function runNotify(
  hooks: NotifyHooks,
  instance: string,
  state: NotifyState,
  priority: number,
  user: ScriptUser = "nobody",
  log: Logger = defaultLog,
  timeoutMs = NOTIFY_TIMEOUT_MS,
): Promise<void> {
  if (state === "INIT") return Promise.resolve();
  const run: HookRun = { hooks, instance, state, priority, user, timeoutMs, log: log.child({ instance, state }) };
  const previous = queues.get(instance) ?? Promise.resolve();
  const mine = previous.then(() => runHooks(run));
  queues.set(instance, mine);
  void mine.then(() => {
    if (queues.get(instance) === mine) queues.delete(instance);
  });
  return mine;
}

interface HookRun {
  hooks: NotifyHooks;
  instance: string;
  state: Exclude<NotifyState, "INIT">;
  priority: number;
  user: ScriptUser;
  timeoutMs: number;
  log: Logger;
}

async function runHooks(r: HookRun): Promise<void> {
  const own = r.hooks[STATE_HOOK[r.state]];
  const calls: Array<[string, string[]]> = [];
  if (own) calls.push([own, []]);
  if (r.hooks.any) calls.push([r.hooks.any, ["INSTANCE", r.instance, r.state, String(r.priority)]]);
  for (const [command, args] of calls) {
    await runOne(command, args, r).catch((err: unknown) =>
      r.log.error("notify hook failed", { event: "notify.error", command, err }),
    );
  }
}

async function runOne(command: string, args: string[], r: HookRun): Promise<void> {
  const started = await startScript(command, r.user, args, r.timeoutMs);
  if ("fault" in started) {
    r.log.error("refusing to run notify hook", { event: "notify.fault", command, reason: started.fault });
    return;
  }
  const res = await started.result;
  if (res.ok) r.log.debug("notify hook ran", { event: "notify.ok", command });
  else
    r.log.warn("notify hook failed", {
      event: "notify.error",
      command,
      code: res.code,
      signal: res.signal,
      timedOut: res.timedOut,
      error: res.error,
      stderr: res.stderr,
    });
}
