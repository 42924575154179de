// `lvsctl doctor`, examination firewall-vrrp (pure): does a director's firewall drop VRRP (IP protocol
// 112) before it reaches the agent? Read from `nft -a list ruleset` and `iptables-save` /
// `iptables-legacy-save` text. In each chain on the input or prerouting hook, the first rule that
// matches VRRP decides: an accept lets it in, a drop or reject is a finding (fix: delete that rule); no
// such rule and a drop policy is a finding (fix: an accept for VRRP). A rule matches VRRP when it names
// protocol vrrp/112, or 224.0.0.18, or matches nothing but the VRRP interface (an unconditional rule).
// Rules behind a jump are not followed. iptables-nft's own tables are read from iptables-save only.
import { shQuote } from "../../../provider/src/host/commands.ts";
import type { Captured } from "./observations.ts";

export interface FirewallProblem {
  /** "nft", "iptables", "iptables-legacy" */
  tool: string;
  /** "inet t in", "filter INPUT" */
  chain: string;
  /** the rule as listed, or the chain's policy */
  rule: string;
  what: string;
  /** the exact command */
  fix: string;
}

const VRRP_PROTO = /\b(?:ip protocol|meta l4proto)\s+(?:\{[^}]*\b(?:vrrp|112)\b[^}]*\}|vrrp\b|112\b)/;
const VRRP_NOT = /\b(?:ip protocol|meta l4proto)\s+!=/;
const NFT_VERDICT = /\b(accept|drop|reject(?: with [^#]*)?|jump \S+|goto \S+|return|queue\b[^#]*)\s*$/;
const NFT_NOISE = /\b(?:counter(?: packets \d+ bytes \d+)?|log(?: prefix "[^"]*")?(?: level \w+)?|comment "[^"]*")/g;

type Decision = "accept" | "drop" | undefined;

/** Does an nft rule (without its verdict) match a VRRP advert arriving on one of the interfaces? */
function nftMatchesVrrp(matchText: string, interfaces: string[]): boolean {
  if (VRRP_NOT.test(matchText)) return false;
  if (VRRP_PROTO.test(matchText) || /\bip daddr 224\.0\.0\.18\b/.test(matchText)) return true;
  const rest = matchText.replace(NFT_NOISE, "").trim();
  if (rest === "") return true;
  const iif = /^(?:iifname|iif)\s+"?([^"\s]+)"?$/.exec(rest);
  return iif !== null && interfaces.includes(iif[1]!);
}

function nftDecision(verdict: string): Decision {
  if (verdict === "accept") return "accept";
  if (verdict === "drop" || verdict.startsWith("reject")) return "drop";
  return undefined;
}

interface NftChain {
  family: string;
  table: string;
  name: string;
  hook?: string;
  policy?: string;
  rules: Array<{ text: string; handle?: string }>;
}

/** The chains of `nft -a list ruleset` with their rules (sets, maps and flowtables skipped). */
export function parseNftRuleset(text: string): NftChain[] {
  const chains: NftChain[] = [];
  let table: { family: string; name: string } | undefined;
  let chain: NftChain | undefined;
  let skipDepth = 0;
  for (const raw of text.split("\n")) {
    const handle = /#\s*handle (\d+)\s*$/.exec(raw)?.[1];
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    if (skipDepth > 0) {
      if (line.endsWith("{")) skipDepth++;
      else if (line === "}") skipDepth--;
      continue;
    }
    const t = /^table (\S+) (\S+) \{$/.exec(line);
    if (t) {
      table = { family: t[1]!, name: t[2]! };
      continue;
    }
    const c = /^chain (\S+) \{$/.exec(line);
    if (c && table) {
      chain = { family: table.family, table: table.name, name: c[1]!, rules: [] };
      chains.push(chain);
      continue;
    }
    if (line === "}") {
      if (chain) chain = undefined;
      else table = undefined;
      continue;
    }
    if (line.endsWith("{")) {
      skipDepth = 1;
      continue;
    }
    if (!chain) continue;
    const type = /^type \S+ hook (\S+)/.exec(line);
    if (type) {
      chain.hook = type[1]!;
      chain.policy = /policy (\w+)/.exec(line)?.[1];
      continue;
    }
    chain.rules.push({ text: line, ...(handle ? { handle } : {}) });
  }
  return chains;
}

const IPTABLES_NFT_TABLES = new Set(["filter", "mangle", "raw", "security", "nat"]);

function nftProblems(text: string, interfaces: string[], skipIptablesTables: boolean): FirewallProblem[] {
  const out: FirewallProblem[] = [];
  for (const ch of parseNftRuleset(text)) {
    if (ch.family !== "ip" && ch.family !== "inet") continue;
    if (ch.hook !== "input" && ch.hook !== "prerouting") continue;
    if (skipIptablesTables && ch.family === "ip" && IPTABLES_NFT_TABLES.has(ch.table)) continue;
    const where = `${ch.family} ${ch.table} ${ch.name}`;
    const nft = (words: string) => `nft ${words}`;
    const target = `${shQuote(ch.family)} ${shQuote(ch.table)} ${shQuote(ch.name)}`;
    let decided = false;
    for (const r of ch.rules) {
      const v = NFT_VERDICT.exec(r.text);
      const decision = v ? nftDecision(v[1]!.trim()) : undefined;
      if (!decision || !nftMatchesVrrp(r.text.slice(0, v!.index), interfaces)) continue;
      decided = true;
      if (decision === "drop") {
        const explicit = VRRP_PROTO.test(r.text) || r.text.includes("224.0.0.18");
        out.push({
          tool: "nft",
          chain: where,
          rule: r.text,
          what: `nftables chain ${where} (hook ${ch.hook}) drops VRRP: \`${r.text}\``,
          fix: explicit
            ? r.handle
              ? nft(`delete rule ${target} handle ${r.handle}`)
              : `delete the rule \`${r.text}\` from nft chain ${where}`
            : nft(`insert rule ${target}${r.handle ? ` position ${r.handle}` : ""} ip protocol vrrp accept`),
        });
      }
      break;
    }
    if (!decided && ch.policy === "drop")
      out.push({
        tool: "nft",
        chain: where,
        rule: "policy drop",
        what: `nftables chain ${where} (hook ${ch.hook}) has policy drop and no rule accepting VRRP`,
        fix: nft(`insert rule ${target} ip protocol vrrp accept`),
      });
  }
  return out;
}

/** Does an iptables rule's arguments (after `-A CHAIN`) match a VRRP advert on one of the interfaces? */
function iptablesMatchesVrrp(args: string[], interfaces: string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    // Only the VRRP interface and comments before the target: an unconditional rule matches too.
    if (a === "-j" || a === "-g") return true;
    if (a === "!") return false;
    if (a === "-p" || a === "--protocol") {
      if (next !== "vrrp" && next !== "112") return false;
      i++;
    } else if (a === "-d" || a === "--destination") {
      if (next !== "224.0.0.18" && next !== "224.0.0.18/32") return false;
      i++;
    } else if (a === "-i" || a === "--in-interface") {
      if (!interfaces.includes(next ?? "")) return false;
      i++;
    } else if (a === "-m" && next === "comment") {
      i += 3; // -m comment --comment TEXT
    } else return false;
  }
  return false;
}

/** iptables-save's words, its double-quoted strings kept whole. */
function words(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function iptablesProblems(tool: string, text: string, interfaces: string[]): FirewallProblem[] {
  const out: FirewallProblem[] = [];
  const cmd = tool === "iptables-legacy" ? "iptables-legacy" : "iptables";
  let table = "";
  const policies = new Map<string, string>();
  const rules = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) table = line.slice(1).trim();
    const p = /^:(\S+) (\S+)/.exec(line);
    if (p) policies.set(`${table} ${p[1]}`, p[2]!);
    if (line.startsWith("-A ")) {
      const key = `${table} ${line.split(" ")[1]}`;
      rules.set(key, [...(rules.get(key) ?? []), line]);
    }
  }
  const examined = ["filter INPUT", "mangle INPUT", "raw PREROUTING", "mangle PREROUTING"];
  for (const key of examined) {
    const [tbl, chainName] = key.split(" ") as [string, string];
    const t = tbl === "filter" ? "" : ` -t ${tbl}`;
    let decided = false;
    const list = rules.get(key) ?? [];
    for (const [i, line] of list.entries()) {
      const w = words(line).slice(2);
      const j = w.indexOf("-j");
      const target = j >= 0 ? w[j + 1] : undefined;
      const decision: Decision =
        target === "ACCEPT" ? "accept" : target === "DROP" || target === "REJECT" ? "drop" : undefined;
      if (!decision || !iptablesMatchesVrrp(w, interfaces)) continue;
      decided = true;
      if (decision === "drop") {
        const explicit = w.includes("vrrp") || w.includes("112") || w.some((x) => x.startsWith("224.0.0.18"));
        out.push({
          tool,
          chain: key,
          rule: line,
          what: `${tool} ${key} drops VRRP: \`${line}\``,
          fix: explicit
            ? `${cmd}${t} ${line.replace(/^-A /, "-D ")}`
            : `${cmd}${t} -I ${chainName} ${i + 1} -p vrrp -j ACCEPT`,
        });
      }
      break;
    }
    if (!decided && policies.get(key) === "DROP")
      out.push({
        tool,
        chain: key,
        rule: "policy DROP",
        what: `${tool} ${key} has policy DROP and no rule accepting VRRP`,
        fix: `${cmd}${t} -I ${chainName} 1 -p vrrp -j ACCEPT`,
      });
  }
  return out;
}

/** What a director's firewall does to VRRP on its VRRP interfaces: every problem, and what could be read. */
export function firewallProblems(
  fw: { nft?: Captured; iptables?: Captured; iptablesLegacy?: Captured },
  interfaces: string[],
): { problems: FirewallProblem[]; read: string[] } {
  const read: string[] = [];
  const usable = (c: Captured | undefined) => c !== undefined && c.rc === 0;
  const iptablesOnNft = usable(fw.iptables) && /\(nf_tables\)/.test(fw.iptables!.out);
  const problems: FirewallProblem[] = [];
  if (usable(fw.nft)) {
    read.push("nft");
    problems.push(...nftProblems(fw.nft!.out, interfaces, iptablesOnNft));
  }
  if (usable(fw.iptables)) {
    read.push("iptables-save");
    problems.push(...iptablesProblems("iptables", fw.iptables!.out, interfaces));
  }
  // Where iptables is itself the legacy one, both tools list the same rules: read them once.
  const ruleLines = (c: Captured) =>
    c.out
      .split("\n")
      .filter((l) => l.startsWith("-A ") || l.startsWith(":"))
      .join("\n");
  const same =
    usable(fw.iptables) && usable(fw.iptablesLegacy) && ruleLines(fw.iptables!) === ruleLines(fw.iptablesLegacy!);
  if (usable(fw.iptablesLegacy) && !same) {
    read.push("iptables-legacy-save");
    problems.push(...iptablesProblems("iptables-legacy", fw.iptablesLegacy!.out, interfaces));
  }
  return { problems, read };
}
