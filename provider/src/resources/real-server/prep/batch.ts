// Several host-preparation actions as one shell script (pure): one SSH command instead of one per
// operation. Each remote command costs a channel, a session process and two shells on the host, and a
// round trip or two on the wire; a RealServer apply is a dozen operations.
//
// The script reports its progress on stdout, one marker line per action carried out, so the caller
// knows exactly which operations took effect: a forward batch stops at the first failure (its stderr is
// that action's), a rollback batch goes on past failures and reports each one with its own stderr.
import { posix } from "node:path";
import { shQuote } from "../../../host/commands.ts";
import type { Action } from "./commands.ts";

const MARK = "@@lvs-op";

/** Files written inline are created with this mode (umask 022): the only mode host preparation uses. */
export const BATCH_FILE_MODE = 0o644;

/** A shell function: `fail N` is a status of N, so a group can fail with a given status without a subshell. */
const FAIL_FN = "fail() { return $1; }";

/**
 * Write `content` to `path` atomically without a stdin of its own: the content rides in the script as
 * one quoted printf argument (a builtin), into a temporary file beside the target that is fsynced and
 * renamed over it; on failure the temporary file is removed. noclobber makes its creation exclusive.
 */
function inlineWrite(path: string, content: string, dirs: Set<string>): string {
  const dir = posix.dirname(path);
  const tmp = shQuote(posix.join(dir, `.${posix.basename(path)}.lvs-`));
  const mkdir = dirs.has(dir) ? "" : `{ [ -d ${shQuote(dir)} ] || mkdir -p -- ${shQuote(dir)}; } && `;
  dirs.add(dir);
  const target = shQuote(path);
  return [
    `t=${tmp}$$ && { [ ! -d ${target} ] || { echo ${shQuote(`${path} is a directory`)} >&2; fail 1; }; } && ${mkdir}{ set -C; printf '%s' ${shQuote(content)} > "$t"; r=$?; set +C; fail $r; }`,
    `{ sync -- "$t" 2>/dev/null || sync; } && mv -f -- "$t" ${target} || { r=$?; rm -f -- "$t"; fail $r; }`,
  ].join(" &&\n  ");
}

function body(a: Action, dirs: Set<string>): string {
  if ("cmd" in a) return `{\n${a.cmd}\n} </dev/null`;
  return `{\n  ${inlineWrite(a.write.path, a.write.content, dirs)}\n}`;
}

export interface BatchOptions {
  /** go on past a failing action (a rollback) instead of stopping there */
  keepGoing?: boolean;
  /** shell text run after every action succeeded (forward batches only), its failure ignored */
  then?: string;
}

/**
 * The script. Forward: `@@lvs-op N ok` after each action, exit with the failing action's status.
 * keepGoing: `@@lvs-op N ok` or `@@lvs-op N failed CODE` followed by that action's stderr lines, exit 0.
 */
export function batchScript(actions: Action[], opts: BatchOptions = {}): string {
  const dirs = new Set<string>();
  const lines = ["umask 022", FAIL_FN];
  actions.forEach((a, i) => {
    if (!opts.keepGoing) {
      // An action's stdout goes to stderr: only the markers are on stdout.
      lines.push(`${body(a, dirs)} >&2 || exit $?`, `echo '${MARK} ${i} ok'`);
      return;
    }
    // The action's stderr captured (a subshell: rollbacks are rare), its own lines after its marker.
    lines.push(
      `if e=$( ${body(a, dirs)} 2>&1 >/dev/null ); then echo '${MARK} ${i} ok'; else echo "${MARK} ${i} failed $?"; printf '%s\\n' "$e"; fi`,
    );
  });
  if (opts.then && !opts.keepGoing) lines.push(`{\n${opts.then}\n} </dev/null >/dev/null 2>&1 || true`);
  return `${lines.join("\n")}\n`;
}

export interface Outcome {
  /** indexes of the actions carried out */
  done: number[];
  /** failed actions: index, exit status, what it wrote to stderr (rollback batches) */
  failed: Array<{ index: number; code: number; stderr: string }>;
}

/** What a batch's stdout says happened. */
export function parseOutcome(stdout: string): Outcome {
  const out: Outcome = { done: [], failed: [] };
  let current: Outcome["failed"][number] | undefined;
  for (const line of stdout.split("\n")) {
    const m = new RegExp(`^${MARK} (\\d+) (ok|failed (\\d+))$`).exec(line);
    if (!m) {
      if (current && line !== "") current.stderr += current.stderr ? `\n${line}` : line;
      continue;
    }
    current = undefined;
    if (m[2] === "ok") out.done.push(Number(m[1]));
    else out.failed.push((current = { index: Number(m[1]), code: Number(m[3]), stderr: "" }));
  }
  return out;
}
