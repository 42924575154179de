// Runs virtual servers' quorumUp/quorumDown commands (keepalived quorum_up/quorum_down), as the script
// user with script security, like notify hooks: without arguments, never awaited by the IPVS manager,
// one at a time per virtual server so a quick up-down-up leaves the last crossing's command last.
// I/O shell over track/runas.ts.
import type { Logger } from "../log.ts";
import { startScript, type ScriptUser } from "../track/runas.ts";

/** A hung command is killed after this long, so later crossings' commands still run. */
export const QUORUM_SCRIPT_TIMEOUT_MS = 30_000;

export class QuorumScripts {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** Queue `command` for virtual server `name`; resolves when it has run (never rejects). */
  run(name: string, command: string, user: ScriptUser, timeoutMs = QUORUM_SCRIPT_TIMEOUT_MS): Promise<void> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const mine = previous.then(() => this.runOne(name, command, user, timeoutMs));
    this.queues.set(name, mine);
    void mine.then(() => {
      if (this.queues.get(name) === mine) this.queues.delete(name);
    });
    return mine;
  }

  /** Every queued command finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  private async runOne(name: string, command: string, user: ScriptUser, timeoutMs: number): Promise<void> {
    const log = this.log.child({ virtualServer: name });
    try {
      const started = await startScript(command, user, [], timeoutMs);
      if ("fault" in started) {
        log.error("refusing to run quorum script", { event: "ipvs.quorum.fault", command, reason: started.fault });
        return;
      }
      const res = await started.result;
      if (res.ok) log.info("quorum script ran", { event: "ipvs.quorum.script", command });
      else
        log.warn("quorum script failed", {
          event: "ipvs.quorum.error",
          command,
          code: res.code,
          signal: res.signal,
          timedOut: res.timedOut,
          stderr: res.stderr,
        });
    } catch (err) {
      log.error("quorum script failed", { event: "ipvs.quorum.error", command, error: (err as Error).message });
    }
  }
}
