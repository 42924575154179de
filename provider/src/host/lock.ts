// A host's lock as shell (a directory created atomically, its owner inside), and holding several
// hosts' locks for one operation. The owner is the sshd process serving the provider's connection: it
// lives exactly as long as the session, so a lock left by a provider killed mid-operation is broken by
// the next taker instead of blocking the host for good.
import { posix } from "node:path";
import { shQuote } from "./commands.ts";
import type { HostSession } from "./executor.ts";
import { stopSignal } from "../operation/operation.ts";

/** The sshd process serving this connection: the lock's owner, alive exactly as long as the session. */
const SESSION_OWNER = [
  "p=$$",
  // Builtins only (read with redirects): walking the parents costs no process. The parent comes from
  // /proc/PID/status: /proc/PID/stat cannot be split on spaces (a comm such as "npm test" has one).
  'while [ "$p" -gt 1 ]; do',
  '  c=; read -r c 2>/dev/null < /proc/$p/comm; case "$c" in sshd*|dropbear*) break;; esac',
  '  n=1; while read -r k v; do if [ "$k" = PPid: ]; then n=$v; break; fi; done 2>/dev/null < /proc/$p/status; p=$n',
  "done",
  'owner="$p"',
].join("\n");

/** Exit code of lockScript when another operation holds the lock for too long. */
export const LOCK_BUSY = 75;

/**
 * Take the host's lock (a directory): wait while another live session holds it; break it when its
 * owner's session is gone (a provider killed mid-operation) or, with no owner known, after staleS.
 */
export function lockScript(lock: string, waitS = 60, staleS = 600): string {
  const d = shQuote(lock);
  return [
    SESSION_OWNER,
    `[ -d ${shQuote(posix.dirname(lock))} ] || mkdir -p ${shQuote(posix.dirname(lock))} || exit 1`,
    "n=0",
    `while ! mkdir ${d} 2>/dev/null; do`,
    // Not there after a failed mkdir: just released (take it), or a directory that cannot be made
    // (say why and give up at once rather than wait as if it were held).
    `  if [ ! -d ${d} ]; then if mkdir ${d} 2>/dev/null; then break; fi; [ -d ${d} ] || { mkdir ${d}; exit 1; }; fi`,
    `  o=$(cat ${d}/owner 2>/dev/null || true)`,
    `  age=$(( $(date +%s) - $(stat -c %Y ${d} 2>/dev/null || date +%s) ))`,
    '  if [ -n "$o" ] && [ "$o" != 1 ] && ! kill -0 "$o" 2>/dev/null; then gone=1; else gone=0; fi',
    // Age breaks only a lock whose owner is unknown: a live session may hold it for long (an install).
    `  if [ $gone = 1 ] || { { [ -z "$o" ] || [ "$o" = 1 ]; } && [ $age -gt ${staleS} ]; }; then [ "$(cat ${d}/owner 2>/dev/null || true)" = "$o" ] && rm -rf ${d}; continue; fi`,
    "  n=$((n+1))",
    // Said once, at the first wait: a wait cut short (Ctrl-C, customTimeouts) still names the holder.
    `  [ $n = 1 ] && echo "waiting: another operation holds "${d}" (session $o, for $age s)" >&2`,
    // The path leaves the double quotes to be quoted like every other value: inside "..." the shell
    // would still run a $(...) or `...` the path holds.
    `  if [ $n -ge ${waitS * 5} ]; then echo "another operation holds "${d}" (session $o, for $age s)" >&2; exit ${LOCK_BUSY}; fi`,
    "  sleep 0.2",
    "done",
    `echo "$owner" > ${d}/owner`,
  ].join("\n");
}

export function unlockScript(lock: string): string {
  const d = shQuote(lock);
  return [SESSION_OWNER, `o=; read -r o 2>/dev/null < ${d}/owner; if [ "$o" = "$owner" ]; then rm -rf ${d}; fi`].join(
    "\n",
  );
}

/**
 * Run fn holding each host's lock at its path (hosts[i] takes paths[i]). Locks are taken one by one
 * in the order of their key, the same order for every operation, so two operations that need the same
 * hosts cannot each hold one the other waits for; they are released when fn settles.
 */
export async function withLocks<T>(
  hosts: HostSession[],
  paths: string[],
  keyOf: (h: HostSession) => string,
  fn: () => Promise<T>,
): Promise<T> {
  const order = hosts
    .map((h, i) => ({ h, path: paths[i]!, key: `${keyOf(h)} ${paths[i]}` }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const unique = order.filter((o, i) => i === 0 || o.key !== order[i - 1]!.key);
  const held: typeof unique = [];
  try {
    for (const o of unique) {
      // Counted as held before it is taken: a wait stopped (Ctrl-C, customTimeouts) just as the lock
      // was taken must still release it; the unlock removes only this session's own lock.
      held.push(o);
      await o.h.step(`lock ${o.path}`, (ssh) => ssh.check(lockScript(o.path), { signal: stopSignal() }));
    }
    return await fn();
  } finally {
    await Promise.all(held.map((o) => o.h.ssh.exec(unlockScript(o.path)).catch(() => undefined)));
  }
}
