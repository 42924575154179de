// The corpus test's pure parts: what `keepalived -t` said about a file (its verdict from the exit code and
// each message's kind), the stand-in interfaces a file needs, and the outcome table in markdown, with
// the README section that holds it.
import type { Token } from "../../agent/src/keepalived/lexer.ts";

/**
 * keepalived 2.2.7's config test: exit 0 clean; 5 (KEEPALIVED_EXIT_CONFIG_TEST) when it reported
 * configuration errors it works around; 6 when scripts run without script security; anything else
 * (2 for a line it cannot parse) means it cannot run the file at all.
 */
export type KeepalivedVerdict = "accepts" | "errors" | "refuses";

/** Messages about this test machine rather than the file: a script or user that does not exist here. */
const ENVIRONMENT = [
  /SECURITY VIOLATION/,
  /since not found\/accessible/,
  /Unable to set (uid\/gid|default user)/,
  /Error setting global script uid\/gid/,
  /track script \S+ not found, ignoring/,
  /Invalid smtp server/,
];
/** Messages about lines keepalived ignores or trims, running the file otherwise as written. */
const WARNING = [
  /Unknown keyword/,
  /is deprecated/,
  /Truncating auth_pass/,
  /No VIP specified/,
  /has only 1 virtual router/,
  /Ignoring track_interface \S+ since own interface/,
  /Initial state master is incompatible with AH authentication/,
];

export interface KeepalivedOutcome {
  code: number | null;
  verdict: KeepalivedVerdict;
  /** messages that are configuration errors (keepalived replaced or dropped a value) */
  errors: string[];
  /** messages about ignored keywords and the like */
  warnings: string[];
  /** messages about this machine */
  environment: string[];
}

/** The verdict from the exit code and the messages (one per line, file names already shortened). */
export function classify(code: number | null, lines: readonly string[]): KeepalivedOutcome {
  const msgs = lines.map((l) => l.trim()).filter((l) => l !== "");
  const environment = msgs.filter((m) => ENVIRONMENT.some((re) => re.test(m)));
  const warnings = msgs.filter((m) => !environment.includes(m) && WARNING.some((re) => re.test(m)));
  const errors = msgs.filter((m) => !environment.includes(m) && !warnings.includes(m));
  const runs = code === 0 || code === 5 || code === 6;
  const verdict: KeepalivedVerdict = !runs ? "refuses" : errors.length > 0 ? "errors" : "accepts";
  return { code, verdict, errors, warnings, environment };
}

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;

/** Interface names a file uses (interface, dev, track_interface, lvs_sync_daemon_interface), as tokens. */
export function interfaceNames(tokens: readonly Token[]): string[] {
  const out = new Set<string>();
  let inTrack = false;
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    if (["interface", "dev", "lvs_sync_daemon_interface"].includes(t.text) && next && !next.bol) out.add(next.text);
    if (t.text === "track_interface") inTrack = true;
    else if (inTrack && t.text === "}") inTrack = false;
    else if (inTrack && t.bol && t.text !== "{") out.add(t.text);
  });
  return [...out].filter((n) => IFNAME.test(n)).sort();
}

export interface Row {
  file: string;
  keepalived: KeepalivedOutcome;
  /** imported: a validated AgentConfig; run: the agent came up on it in a namespace */
  ours: "imported and run" | "imported" | "refused";
  /** why: our first problems when refused, or the number of warnings; keepalived's errors in short */
  detail: string;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The outcome table and the figures under it. */
export function renderTable(rows: readonly Row[]): string {
  const head = [
    "| file | `keepalived -t` | lvs-agent | why |",
    "|---|---|---|---|",
    ...rows.map((r) => {
      const ka = `${r.keepalived.verdict} (exit ${r.keepalived.code})`;
      return `| \`${cell(r.file)}\` | ${ka} | ${r.ours} | ${cell(r.detail)} |`;
    }),
  ];
  const accepted = rows.filter((r) => r.keepalived.verdict === "accepts");
  const imported = accepted.filter((r) => r.ours !== "refused");
  const ran = accepted.filter((r) => r.ours === "imported and run");
  const pct = accepted.length ? Math.round((100 * imported.length) / accepted.length) : 0;
  const others = rows.filter((r) => r.keepalived.verdict !== "accepts");
  const refusedToo = others.filter((r) => r.ours === "refused");
  return [
    ...head,
    "",
    `keepalived accepts ${accepted.length} of the ${rows.length} files; lvs-agent imports ${imported.length} of those ` +
      `(${pct}%) and ${ran.length} of them started in a namespace (the others have virtual servers: IPVS runs in the ` +
      `UML layer, not in namespaces). Of the ${others.length} files keepalived refuses or reports errors in, ` +
      `lvs-agent refuses ${refusedToo.length}, each problem with its file:line.`,
  ].join("\n");
}

export const SECTION = "## keepalived.conf corpus";

/** The README with the corpus section's body (up to the next `## ` heading) replaced by `body`. */
export function withSection(readme: string, body: string): string {
  const start = readme.indexOf(`\n${SECTION}\n`);
  const block = `${SECTION}\n\n${body.trim()}\n`;
  if (start < 0) return `${readme.trimEnd()}\n\n${block}`;
  const from = start + 1;
  const next = readme.indexOf("\n## ", from + SECTION.length);
  return `${readme.slice(0, from)}${block}${next < 0 ? "" : readme.slice(next)}`;
}

/** The corpus section's body as it stands in the README, or undefined. */
export function sectionBody(readme: string): string | undefined {
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) return undefined;
  const from = start + 1 + SECTION.length + 1;
  const next = readme.indexOf("\n## ", from);
  return readme.slice(from, next < 0 ? undefined : next).trim();
}
