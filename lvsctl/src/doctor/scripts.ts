// `lvsctl doctor`: every shell command it sends to a host, and the parsers of what comes back (pure).
// A host gets one script of named sections; each section runs in a subshell and its stdout, stderr and
// exit code come back between markers, so one SSH command reads everything and a missing tool (exit
// 127) is told apart from an empty answer. Every value from the cluster file is quoted with shQuote.
import { shQuote } from "../../../provider/src/host/commands.ts";
import type { AgentAccess } from "../../../provider/src/resources/fragment/plan.ts";
import { agentCommandLine } from "../../../provider/src/resources/fragment/plan.ts";
import type { Captured, HealthProbe, IfAddress } from "./observations.ts";

const BEGIN = "@@doctor-begin";
const STDERR = "@@doctor-stderr";
const END = "@@doctor-end";

/** Section names are words: they are printed by the script and matched by the parser. */
type Sections = Array<[name: string, command: string]>;

/** The script: each [name, command] run in a subshell, its output between markers. */
export function sectionScript(sections: Sections): string {
  for (const [name] of sections) if (!/^[a-z][a-z0-9:._-]*$/.test(name)) throw new Error(`bad section name ${name}`);
  return [
    "t=$(mktemp) || exit 1",
    `trap 'rm -f "$t"' EXIT`,
    `s() { printf '${BEGIN} %s\\n' "$1"; (eval "$2") </dev/null 2>"$t"; r=$?; printf '\\n${STDERR}\\n'; cat "$t"; printf '\\n${END} %s %s\\n' "$1" "$r"; }`,
    ...sections.map(([name, cmd]) => `s ${name} ${shQuote(cmd)}`),
  ].join("\n");
}

/** The sections of a script's output by name; a section cut short (the host died) is absent. */
export function parseSections(stdout: string): Record<string, Captured> {
  const out: Record<string, Captured> = {};
  const re = new RegExp(`^${BEGIN} (\\S+)\\n([\\s\\S]*?)\\n${STDERR}\\n([\\s\\S]*?)\\n${END} \\1 (\\d+)$`, "gm");
  for (const m of stdout.matchAll(re)) {
    out[m[1]!] = { out: m[2]!.replace(/\n$/, ""), err: m[3]!.replace(/\n$/, "").trim(), rc: Number(m[4]) };
  }
  return out;
}

/** Run `tool args` when the tool is installed; exit 127 (as the shell's "not found") when it is not. */
const ifInstalled = (tool: string, cmd: string) => `command -v ${tool} >/dev/null 2>&1 || exit 127; ${cmd}`;

export interface DirectorScriptInput {
  agent: AgentAccess;
  /** VIP name -> its fragment's path on this director */
  fragments: Record<string, string>;
  /** run each real server's health check once from here (`lvs-agent probe`) */
  probe: boolean;
}

/** The director's own agent CLI (not the daemon) with a command and its words, all quoted. */
function agentCli(agent: AgentAccess, words: string[]): string {
  return [...agent.agentCommand.split(" "), ...words].map(shQuote).join(" ");
}

/** Everything read from a director in one command (the adverts listener runs beside it: advertsCommand). */
export function directorScript(i: DirectorScriptInput): string {
  const sections: Sections = [
    ["addr", "ip -o addr show"],
    ["ip_forward", "cat /proc/sys/net/ipv4/ip_forward"],
    ["nft", ifInstalled("nft", "nft -a list ruleset")],
    ["iptables", ifInstalled("iptables-save", "iptables-save")],
    ["iptables-legacy", ifInstalled("iptables-legacy-save", "iptables-legacy-save")],
    ["status", agentCommandLine(i.agent, "status")],
    ...Object.entries(i.fragments).map(([vip, path]): [string, string] => [`fragment:${vip}`, `cat ${shQuote(path)}`]),
  ];
  if (i.probe) sections.push(["probe", agentCli(i.agent, ["probe", "--json", "--config-dir", i.agent.configDir])]);
  return sectionScript(sections);
}

/** `lvs-agent adverts` with the director's installed agent: listen on the interfaces for some seconds. */
export function advertsCommand(agent: AgentAccess, interfaces: string[], seconds: number): string {
  return agentCli(agent, ["adverts", "--interface", interfaces.join(","), "--seconds", String(seconds), "--json"]);
}

/** /proc/sys path of a sysctl key as RealServer names it (a "/" in an interface name stands for a dot). */
export function procPath(key: string): string {
  return `/proc/sys/${key
    .split(".")
    .map((part) => part.replace(/\//g, "."))
    .join("/")}`;
}

/** Everything read from a real server: the ARP sysctls RealServer sets (one `key=value` line each), addresses. */
export function realServerScript(sysctlKeys: string[]): string {
  const read = sysctlKeys.map(
    (k) => `printf '%s=' ${shQuote(k)}; cat ${shQuote(procPath(k))} 2>/dev/null || echo missing`,
  );
  return sectionScript([
    ["addr", "ip -o addr show"],
    ["sysctl", read.join("\n") || "true"],
  ]);
}

/** `key=value` lines. */
export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** IPv4 addresses of `ip -o addr show`. */
export function parseIpAddr(text: string): IfAddress[] {
  const out: IfAddress[] = [];
  for (const line of text.split("\n")) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d+)/.exec(line);
    if (m) out.push({ device: m[1]!, address: m[2]!, prefix: Number(m[3]) });
  }
  return out;
}

/** `lvs-agent probe --json`: each health check's answer, or why there is none. */
export function parseProbes(c: Captured): HealthProbe[] | { error: string } {
  try {
    const v: unknown = JSON.parse(c.out);
    if (Array.isArray(v)) return v as HealthProbe[];
  } catch {
    /* below */
  }
  return { error: `lvs-agent probe: ${(c.err || c.out).split("\n")[0]?.slice(0, 200) || "no output"} (exit ${c.rc})` };
}
