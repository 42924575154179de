// Resources that are one conf.d fragment per director (Vip, VirtualServer): the shared shell.
// Apply: every director in parallel over one SSH connection each: read the current fragment, write the
// new one atomically (0600: it may hold a VRRP password), `lvs-agent reload`. A file that already holds
// the wanted JSON is not written and, unless this is a create, its agent not reloaded. When any director fails (the agent rejects
// the config, a write fails), every director this operation changed gets its previous fragment back (or
// loses the new one), those whose agent had applied the new config are reloaded again, and the
// operation fails naming the host: never half-applied. An agent that rejected a reload kept running
// its config (its contract), so it is not reloaded after its files are put back.
// Operations on the same directors take turns: each holds every director's config lock from its first
// read to its last reload (or rollback), so an agent never validates another operation's unfinished
// fragment, and one operation's rollback never undoes what another's reload was judged on.
// Read: each fragment as it is on its director, and the agent's live status beside it.
// Each change is logged to stderr (the engine's plugin log): paths and hosts, never contents.
import { withHosts, type HostSession, type Remote } from "../../host/executor.ts";
import { shQuote } from "../../host/commands.ts";
import { withLocks } from "../../host/lock.ts";
import { EXIT_NOT_RUNNING } from "../../../../agent/src/status/socket.ts";
import type { Obj } from "../../inputs/common.ts";
import {
  agentCommandLine,
  changesFor,
  configLock,
  failureMessage,
  hostKey,
  parseStatus,
  readAnswer,
  agentFailure,
  sameFragment,
  type AgentAccess,
  type FragmentResource,
  type HostChange,
  type Location,
  type Reading,
  type RollbackNote,
} from "./plan.ts";
import type { ResourceHandler } from "../contract.ts";
import { UndoJournal } from "../undo.ts";

const MODE = 0o600;

function log(host: string, what: string, action: string): void {
  process.stderr.write(`lvs: ${host}: ${what}: ${action}\n`);
}

async function put(ssh: Remote, path: string, text: string | undefined): Promise<void> {
  if (text === undefined) await ssh.check(`rm -f -- ${shQuote(path)}`);
  else await ssh.writeFile(path, text, MODE);
}

/**
 * Have the agent apply its files; false when no agent runs there and `idle` allows it. A removal needs
 * no running agent (one started later reads the directory without the file): deleting a Vip from a
 * director whose agent is stopped succeeds. Anything else needs the agent's verdict.
 */
async function reload(h: HostSession, agent: AgentAccess, idle = false): Promise<boolean> {
  return h.step("lvs-agent reload", async (ssh) => {
    const r = await ssh.exec(agentCommandLine(agent, "reload"));
    if (r.code === EXIT_NOT_RUNNING && idle) return false;
    if (r.code !== 0) throw new Error(agentFailure(r));
    return true;
  });
}

/** One host's progress: its undo journal (the files changed, with what they held before) and whether its agent applied them. */
interface HostRun {
  change: HostChange;
  journal: UndoJournal;
  applied: boolean;
}

async function applyOnHost(h: HostSession, run: HostRun, what: string): Promise<void> {
  let wrote = false;
  for (const f of run.change.files) {
    const previous = await h.step(`read ${f.path}`, (ssh) => ssh.readFile(f.path));
    if (sameFragment(previous, f.text)) continue;
    // Recorded before the first write, so undone after the files are back: the agent applies them again.
    if (!wrote) {
      run.journal.record("agent reload", async () => {
        if (run.applied) await reload(h, run.change.agent);
      });
    }
    wrote = true;
    run.journal.record(`restore ${f.path}`, () => h.step(`restore ${f.path}`, (ssh) => put(ssh, f.path, previous)));
    await h.step(`${f.text === undefined ? "remove" : "write"} ${f.path}`, (ssh) => put(ssh, f.path, f.text));
    log(h.host, what, `${f.text === undefined ? "removed" : "wrote"} ${f.path}`);
  }
  if (!wrote && !run.change.reapply) return;
  const removalsOnly = wrote && run.change.files.every((f) => f.text === undefined);
  run.applied = await reload(h, run.change.agent, removalsOnly);
  const why = !wrote ? " (its files were already right: a create, or a hand edit of what it ran)" : "";
  log(h.host, what, run.applied ? `agent reloaded${why}` : "no agent running there: nothing to reload");
}

async function rollBack(h: HostSession, run: HostRun, what: string): Promise<RollbackNote> {
  if (run.journal.empty) return { host: h.host };
  const failed = await run.journal.rollBack();
  if (failed.length === 0) log(h.host, what, "rolled back");
  return { host: h.host, restore: failed.join("; ") };
}

/** Carry out `changes` on their hosts, all or none (see the top of this file). */
export async function applyChanges(what: string, changes: HostChange[]): Promise<void> {
  if (changes.length === 0) return;
  await withHosts(
    changes.map((c) => c.conn),
    (hosts) =>
      withLocks(
        hosts,
        changes.map((c) => configLock(c.agent)),
        (h) => hostKey(h.conn),
        async () => {
          const runs: HostRun[] = changes.map((change) => ({ change, journal: new UndoJournal(), applied: false }));
          const results = await Promise.allSettled(hosts.map((h, i) => applyOnHost(h, runs[i]!, what)));
          const failures = results.flatMap((r) =>
            r.status === "rejected" ? [r.reason instanceof Error ? r.reason.message : String(r.reason)] : [],
          );
          if (failures.length === 0) return;
          const notes = await Promise.all(hosts.map((h, i) => rollBack(h, runs[i]!, what)));
          throw new Error(failureMessage(failures, notes));
        },
      ),
  );
}

export function readLocations(places: Location[]): Promise<Reading[]> {
  return withHosts(
    places.map((p) => p.conn),
    (hosts) =>
      Promise.all(
        hosts.map(async (h, i): Promise<Reading> => {
          const p = places[i]!;
          const text = await h.step(`read ${p.path}`, (ssh) => ssh.readFile(p.path));
          const r = await h.step("lvs-agent status", (ssh) => ssh.exec(agentCommandLine(p.agent, "status")));
          return { text, status: r.code === 0 ? parseStatus(r.stdout) : `lvs-agent status: ${agentFailure(r)}` };
        }),
      ),
  );
}

export function fragmentHandler<T extends Obj>(r: FragmentResource<T>): ResourceHandler {
  const what = (v: T) => `${r.kind} ${r.id(v)}`;
  const outs = (v: T): Obj => ({ ...v, ...r.outputs(v) });
  return {
    async create(inputs) {
      const v = r.parse(inputs);
      // A fragment found already right was written by a create that was killed before its reload (or by
      // hand): the agent may not run it, so a create always has each agent apply its files.
      const changes = changesFor([], r.placements(v)).map((c) => ({ ...c, reapply: true }));
      await applyChanges(what(v), changes);
      return { id: r.id(v), outs: outs(v) };
    },
    async read(id, props, declared, importing) {
      const state = { ...props, ...declared };
      const places = r.locations(state);
      const found = readAnswer(r, state, await readLocations(places));
      if (!found && importing) {
        throw new Error(
          `no ${r.kind} ${JSON.stringify(state.name)} on ${places.map((p) => p.conn.host).join(", ")}: no ${places
            .map((p) => p.path)
            .filter((p, i, all) => all.indexOf(p) === i)
            .join(", ")} there`,
        );
      }
      return found ? { id, ...found } : { id: "", props: {}, inputs: {} };
    },
    async update(_id, olds, news) {
      const v = r.parse(news);
      const unsettled = new Set(r.unsettled?.(olds) ?? []);
      const changes = changesFor(r.locations(olds), r.placements(v)).map((c) =>
        unsettled.has(c.conn.host) ? { ...c, reapply: true } : c,
      );
      await applyChanges(what(v), changes);
      return outs(v);
    },
    async delete(id, props) {
      await applyChanges(`${r.kind} ${id}`, changesFor(r.locations(props), []));
    },
  };
}
