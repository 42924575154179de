// How the agent runs (pure): a hardened systemd unit, or for hosts without systemd (labs, containers)
// a small sh supervisor; and the scripts that start, stop and query either. Stopping is always SIGTERM
// to the agent first: it sends VRRP priority 0 and removes its VIPs, so a backup takes over after
// Skew_Time instead of waiting out Master_Down_Interval.
import { posix } from "node:path";
import { shQuote as q } from "../../../host/commands.ts";
import { unitExecWord, unitWord } from "../../../host/unit-file.ts";
import { UNIT_NAME, UNIT_PATH, type Layout, type ServiceManager } from "./layout.ts";

/** Seconds the agent gets to hand over after SIGTERM before it is killed. */
export const STOP_TIMEOUT_S = 15;
/** Seconds a started agent gets to answer on its status socket. */
export const READY_TIMEOUT_S = 30;

/**
 * The systemd unit. The agent needs CAP_NET_ADMIN (addresses, IPVS, sysctls) and CAP_NET_RAW (VRRP and
 * ARP sockets); CAP_SETUID/CAP_SETGID/CAP_KILL let it run track scripts and notify hooks as their
 * (unprivileged) users and end them on timeout. The rest of the system is read-only to it apart from
 * its state and socket directories.
 */
export function systemdUnit(l: Layout): string {
  const writable = [...new Set(["/run/lvs-agent", l.agentStateDir, posix.dirname(l.statusSocket)])]
    .map((p) => unitWord(`-${p}`))
    .join(" ");
  return [
    "# Written by pulumi-lvs (lvs.Director): changes here are replaced on the next apply.",
    "[Unit]",
    "Description=lvs-agent: VRRP and IPVS for this LVS director",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${[l.agent, "run", "--config-dir", l.configDir].map(unitExecWord).join(" ")}`,
    "ExecReload=/bin/kill -HUP $MAINPID",
    "KillMode=mixed",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${STOP_TIMEOUT_S}`,
    "Restart=on-failure",
    "RestartSec=1",
    "RuntimeDirectory=lvs-agent",
    "RuntimeDirectoryMode=0700",
    "RuntimeDirectoryPreserve=no",
    "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_SETUID CAP_SETGID CAP_KILL",
    "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_SETUID CAP_SETGID CAP_KILL",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    `ReadWritePaths=${writable}`,
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateDevices=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "SystemCallArchitectures=native",
    "UMask=0077",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/**
 * The supervisor (no systemd): runs the agent and starts it again whenever it exits without the
 * supervisor being asked to stop, after 1 s, doubling up to 30 s while it keeps failing within a
 * minute. SIGTERM to the supervisor stops the agent (SIGTERM, it hands over) and then itself.
 */
export function supervisorScript(l: Layout): string {
  return `#!/bin/sh
# lvs-agent supervisor, written by pulumi-lvs (lvs.Director) for hosts without systemd.
# Runs the agent; restarts it when it exits unasked (backoff 1 s doubling to 30 s, reset after 60 s up).
# Start: setsid ${q(l.supervisor)} run </dev/null >/dev/null 2>&1 &
# Stop:  kill -TERM "$(cat ${q(`${l.runDir}/supervisor.pid`)})"   (the agent hands its VIPs over, then both exit)
# Files: ${q(l.runDir)}/supervisor.pid, agent.pid, agent.log (rotated at 10 MiB).
RUN=${q(l.runDir)}
AGENT=${q(l.agent)}
CONF=${q(l.configDir)}
LOG="$RUN/agent.log"
mkdir -p "$RUN"
echo $$ > "$RUN/supervisor.pid"
stopping=0
child=
sleeper=
on_term() {
  stopping=1
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
}
trap on_term TERM INT
note() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) lvs-agent-supervise: $*" >> "$LOG"; }
delay=1
while [ "$stopping" = 0 ]; do
  if [ -f "$LOG" ] && [ "$(wc -c < "$LOG")" -gt 10485760 ]; then mv -f "$LOG" "$LOG.1"; fi
  started=$(date +%s)
  "$AGENT" run --config-dir "$CONF" >> "$LOG" 2>&1 < /dev/null &
  child=$!
  echo "$child" > "$RUN/agent.pid"
  note "started agent pid $child"
  [ "$stopping" = 1 ] && kill -TERM "$child" 2>/dev/null
  rc=0
  wait "$child" || rc=$?
  while kill -0 "$child" 2>/dev/null; do rc=0; wait "$child" || rc=$?; done
  child=
  rm -f "$RUN/agent.pid"
  [ "$stopping" = 1 ] && break
  ran=$(( $(date +%s) - started ))
  [ "$ran" -ge 60 ] && delay=1
  note "agent exited (status $rc) after \${ran}s; restarting in \${delay}s"
  sleep "$delay" &
  sleeper=$!
  wait "$sleeper" 2>/dev/null
  sleeper=
  delay=$(( delay * 2 ))
  [ "$delay" -gt 30 ] && delay=30
done
note "stopped"
rm -f "$RUN/supervisor.pid"
`;
}

/** sh function alive PID: the process exists and is not a zombie. */
const ALIVE = `alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && [ "$(sed 's/^.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; }`;

/** Start the supervisor detached from the SSH session (its own session and process group). */
export function startSupervisedScript(l: Layout): string {
  return [`mkdir -p ${q(l.runDir)}`, `setsid ${q(l.supervisor)} run < /dev/null > /dev/null 2>&1 &`].join("\n");
}

/**
 * Stop the supervised agent: SIGTERM to the supervisor (it forwards it to the agent and waits), then the
 * whole process group killed if it is still there after STOP_TIMEOUT_S. A PID is only signalled when
 * its command line names this install, so a stale pid file never hits another process (read twice: it
 * reads empty while the process execs, as a just-started agent may).
 */
export function stopSupervisedScript(l: Layout): string {
  const ticks = STOP_TIMEOUT_S * 10;
  return [
    ALIVE,
    // A process in the middle of exec reads an empty cmdline for a moment: ask again before saying "not ours".
    `names() { tr '\\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; }`,
    `ours() { alive "$1" || return 1; names "$1" "$2" || { sleep 0.2; alive "$1" && names "$1" "$2"; }; }`,
    `waitgone() { i=0; while alive "$1" && [ $i -lt ${ticks} ]; do sleep 0.1; i=$((i+1)); done; ! alive "$1"; }`,
    `sp=$(cat ${q(`${l.runDir}/supervisor.pid`)} 2>/dev/null)`,
    `ap=$(cat ${q(`${l.runDir}/agent.pid`)} 2>/dev/null)`,
    `if ours "$sp" ${q(l.supervisor)}; then`,
    `  kill -TERM "$sp"`,
    `  waitgone "$sp" || { echo "the supervisor did not stop within ${STOP_TIMEOUT_S} s: killed its process group" >&2; kill -KILL -- "-$sp" 2>/dev/null; }`,
    "fi",
    // An agent without its supervisor (the supervisor was killed by hand): stop it too.
    `if ours "$ap" ${q(`${l.installDir}/`)}; then kill -TERM "$ap"; waitgone "$ap" || kill -KILL "$ap"; fi`,
    `rm -f ${q(`${l.runDir}/supervisor.pid`)} ${q(`${l.runDir}/agent.pid`)}`,
  ].join("\n");
}

/** `key=value` lines: running=0|1 and pid=<agent pid> (parseServiceState). */
export function serviceStateScript(l: Layout, m: ServiceManager): string {
  if (m === "systemd") {
    return [
      `st=$(systemctl show -p ActiveState --value ${UNIT_NAME} 2>/dev/null)`,
      `pid=$(systemctl show -p MainPID --value ${UNIT_NAME} 2>/dev/null)`,
      `[ "$st" = active ] && echo running=1 || echo running=0`,
      `[ -n "$pid" ] && [ "$pid" != 0 ] && echo "pid=$pid"`,
      `echo "enabled=$(systemctl is-enabled ${UNIT_NAME} 2>/dev/null)"`,
      "true",
    ].join("\n");
  }
  return [
    ALIVE,
    `sp=$(cat ${q(`${l.runDir}/supervisor.pid`)} 2>/dev/null)`,
    `ap=$(cat ${q(`${l.runDir}/agent.pid`)} 2>/dev/null)`,
    `if alive "$sp" && alive "$ap"; then echo running=1; echo "pid=$ap"; else echo running=0; fi`,
    `alive "$sp" && echo supervisor=1`,
    "true",
  ].join("\n");
}

export interface ServiceState {
  running: boolean;
  pid: number | undefined;
}

export function parseServiceState(text: string): ServiceState {
  const running = /^running=1$/m.test(text);
  const pid = /^pid=(\d+)$/m.exec(text)?.[1];
  return { running, pid: running && pid ? Number(pid) : undefined };
}

/** Start (or, with restart, stop then start) the agent under its manager; systemd gets the unit enabled. */
export function startScript(l: Layout, m: ServiceManager, restart: boolean): string {
  if (m === "systemd")
    return `systemctl daemon-reload && systemctl enable ${UNIT_NAME} && systemctl ${restart ? "restart" : "start"} ${UNIT_NAME}`;
  return restart ? `${stopSupervisedScript(l)}\n${startSupervisedScript(l)}` : startSupervisedScript(l);
}

/** Stop the agent and remove what runs it (delete): the unit disabled and removed, or the supervisor stopped. */
export function stopScript(l: Layout, m: ServiceManager | undefined): string {
  const systemd = [
    `if [ -e ${UNIT_PATH} ]; then`,
    `  systemctl disable --now ${UNIT_NAME} 2>/dev/null || systemctl stop ${UNIT_NAME} 2>/dev/null || true`,
    `  rm -f ${UNIT_PATH}`,
    "  systemctl daemon-reload 2>/dev/null || true",
    "fi",
  ].join("\n");
  // Unknown (a state from before the manager was recorded): whatever is there.
  if (m === "systemd") return systemd;
  if (m === "supervised") return stopSupervisedScript(l);
  return `${stopSupervisedScript(l)}\n${systemd}`;
}

/**
 * Wait until the agent answers on its status socket with a PID other than `oldPid`; prints its status
 * JSON. Fails with the end of the agent's log (supervised) or journal (systemd) on timeout, and at once
 * when the supervisor logs that the agent exited (it crashed while starting).
 */
export function waitReadyScript(
  l: Layout,
  m: ServiceManager,
  oldPid: number | undefined,
  timeoutS = READY_TIMEOUT_S,
): string {
  const ticks = timeoutS * 5;
  const log = q(`${l.runDir}/agent.log`);
  // the output of the agent's last run (since the supervisor last started it), at most 40 lines
  const lastRun = `awk '/lvs-agent-supervise: started agent pid/ { out = "" } { out = out $0 "\\n" } END { printf "%s", out }' ${log} 2>/dev/null | tail -n 40 >&2`;
  const tail = m === "systemd" ? `journalctl -u ${UNIT_NAME} -n 40 --no-pager 1>&2` : lastRun;
  const exits = `n=$(grep -c 'lvs-agent-supervise: agent exited' ${log} 2>/dev/null)`;
  return [
    exits,
    "base=${n:-0}",
    "i=0",
    `while [ $i -lt ${ticks} ]; do`,
    `  if [ -S ${q(l.statusSocket)} ] && out=$(${q(l.agent)} status --json --socket ${q(l.statusSocket)} 2>/dev/null); then`,
    `    printf '%s\\n' "$out" | grep -Eq '"pid": *${oldPid ?? -1}[^0-9]' || { printf '%s\\n' "$out"; exit 0; }`,
    "  fi",
    ...(m === "supervised"
      ? [
          `  ${exits}; if [ "\${n:-0}" -gt "$base" ]; then echo "the agent exited while starting; its output:" >&2; ${tail}; exit 1; fi`,
        ]
      : []),
    "  sleep 0.2; i=$((i+1))",
    "done",
    // The path is quoted outside the double quotes: inside them a $(...) it held would still run.
    `echo "the agent did not answer on "${q(l.statusSocket)}" within ${timeoutS} s; its output:" >&2`,
    tail,
    "exit 1",
  ].join("\n");
}
