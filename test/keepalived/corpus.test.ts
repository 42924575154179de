// Real users' keepalived.conf files (../shared/keepalived-corpus, read in place): for each, keepalived
// 2.2.7's own verdict (`keepalived -t` in a fresh namespace with a stand-in interface for every interface
// the file names), then lvs-agent's (`validate`'s loader, and for a file it imports, `lvs-agent run` in
// such a namespace when the file has no virtual servers, since IPVS is not there in namespaces). Asserts:
// every file keepalived refuses or reports errors in is refused, every problem by file:line with a reason
// and what to do; of the files keepalived accepts, 90% are imported, and never fewer than the floor
// below. Writes the table to corpus-outcomes.md and checks the README's "keepalived.conf corpus"
// section against it (UPDATE_CORPUS_TABLE=1 rewrites both).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { isRoot, run } from "../helpers/netns.ts";
import { REPO } from "../helpers/agent.ts";
import { lexFile } from "../../agent/src/keepalived/lexer.ts";
import { loadKeepalivedConf } from "../../agent/src/keepalived/load.ts";
import type { LoadResult } from "../../agent/src/config/load.ts";
import { createLogger } from "../../agent/src/log.ts";
import { classify, interfaceNames, renderTable, sectionBody, withSection, type Row } from "./corpus-verdict.ts";
import { startAgentIn } from "./corpus-agent.ts";

const CORPUS = join(REPO, "../shared/keepalived-corpus");
const OUTCOMES = join(REPO, "test/keepalived/corpus-outcomes.md");
const README = join(REPO, "README.md");
/** keepalived -i and lvs-agent --config-id: fixed, so the table does not depend on this host's name. */
const CONFIG_ID = "corpus-test";
/** Files keepalived accepts that lvs-agent imports today: the figure must not fall. */
const IMPORTED_FLOOR = 14;

const hasKeepalived = !spawnSync("keepalived", ["--version"]).error;
const skip = !isRoot
  ? "needs root"
  : !hasKeepalived
    ? "keepalived not installed"
    : !existsSync(CORPUS)
      ? `no corpus at ${CORPUS}`
      : false;

/** The entries: every *.conf, and keepalived.conf inside each directory. */
function entries(): string[] {
  return readdirSync(CORPUS)
    .sort()
    .flatMap((n) => {
      const p = join(CORPUS, n);
      if (statSync(p).isDirectory()) return existsSync(join(p, "keepalived.conf")) ? [join(p, "keepalived.conf")] : [];
      return n.endsWith(".conf") ? [p] : [];
    });
}

const label = (file: string) => file.slice(CORPUS.length + 1);
const fsIo = { read: (p: string) => readFileSync(p, "utf8"), list: (d: string) => readdirSync(d) };

/** A fresh namespace with a stand-in (veth pair; this kernel has no dummy links) for each name, up, addressed. */
function namespaceWith(ns: string, names: string[], addresses: string[]): void {
  run("ip", ["netns", "add", ns]);
  run("ip", ["-n", ns, "link", "set", "lo", "up"]);
  names.forEach((name, i) => {
    run("ip", ["-n", ns, "link", "add", name, "type", "veth", "peer", "name", `sx${i}`]);
    run("ip", ["-n", ns, "link", "set", `sx${i}`, "up"]);
    run("ip", ["-n", ns, "link", "set", name, "up"]);
    run("ip", ["-n", ns, "addr", "add", `192.0.2.${i + 1}/24`, "dev", name], { allowFail: true });
  });
  // Source addresses the file names (unicast_src_ip, mcast_src_ip) go on its first interface.
  for (const a of addresses) run("ip", ["-n", ns, "addr", "add", `${a}/32`, "dev", names[0]!], { allowFail: true });
}

function keepalivedTest(ns: string, file: string) {
  const r = spawnSync("ip", ["netns", "exec", ns, "keepalived", "-t", "-f", file, "-i", CONFIG_ID, "-l"], {
    cwd: dirname(file),
    encoding: "utf8",
    timeout: 30_000,
  });
  const lines = `${r.stdout}${r.stderr}`.split("\n").map((l) =>
    l
      .replaceAll(`${file}: `, "")
      .replaceAll(`${CORPUS}/`, "")
      .replace(/^\(Line (\d+)\) /, "line $1: "),
  );
  return classify(r.status, lines);
}

/** Unicast/multicast source addresses the file names, so the agent can send from them. */
function sourceAddresses(file: string): string[] {
  const toks = lexFile(file, fsIo, { configId: CONFIG_ID }).tokens;
  return toks.flatMap((t, i) =>
    ["unicast_src_ip", "mcast_src_ip"].includes(t.text) && /^\d+\.\d+\.\d+\.\d+$/.test(toks[i + 1]?.text ?? "")
      ? [toks[i + 1]!.text]
      : [],
  );
}

const short = (s: string, n = 110) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const local = (msg: string) => msg.replace(`${CORPUS}/`, "");

function detailOf(row: Omit<Row, "detail">, ours: LoadResult): string {
  const ka = row.keepalived.errors[0] ?? (row.keepalived.verdict === "refuses" ? "cannot run it" : undefined);
  const kaPart = ka ? `keepalived: ${short(local(ka), 90)}. ` : "";
  if (!ours.ok) return `${kaPart}lvs-agent: ${short(local(ours.problems[0] ?? ""))}`;
  return `${kaPart}lvs-agent: ${ours.notes?.length ?? 0} warning(s)`;
}

/** Every problem names file:line, a reason, and what to write instead. */
const WELL_FORMED = /^\/\S+:\d+: .+/;
const FIX =
  /\b(takes|needs|must|use|write|remove|give|set|supported|instead|define|name|keep|prefer|add|only|should|is not|has no|already|twice|before)\b/i;

test("keepalived.conf corpus: keepalived's verdict and ours for every file", { skip, timeout: 600_000 }, async (t) => {
  const rows: Row[] = [];
  /** problems without file:line, a reason or what to do */
  const malformed: string[] = [];
  const log = createLogger(new Writable({ write: (_c, _e, cb) => cb() }), { level: "error" });
  const work = mkdtempSync("/tmp/lvs-corpus-");
  try {
    for (const [i, file] of entries().entries()) {
      const ns = `lvsk-${process.pid}-${i}`;
      const tokens = lexFile(file, fsIo, { configId: CONFIG_ID }).tokens;
      const names = interfaceNames(tokens);
      namespaceWith(ns, names.length ? names : ["eth0"], sourceAddresses(file));
      try {
        const keepalived = keepalivedTest(ns, file);
        const ours = await loadKeepalivedConf(file, log, { configId: CONFIG_ID });
        let outcome: Row["ours"] = ours.ok ? "imported" : "refused";
        if (ours.ok && Object.keys(ours.config.virtualServers).length === 0) {
          const up = await startAgentIn(ns, file, join(work, String(i)), CONFIG_ID);
          assert.equal(up.ok, true, `${label(file)}: the agent did not come up: ${up.detail}`);
          outcome = "imported and run";
        }
        const row = { file: label(file), keepalived, ours: outcome };
        rows.push({ ...row, detail: detailOf(row, ours) });
        if (!ours.ok) malformed.push(...ours.problems.filter((p) => !WELL_FORMED.test(p) || !FIX.test(p)));
      } finally {
        run("ip", ["netns", "del", ns], { allowFail: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  assert.deepEqual(malformed, [], "every problem names file:line, a reason and what to do");
  for (const r of rows.filter((x) => x.keepalived.verdict !== "accepts"))
    assert.equal(r.ours, "refused", `${r.file}: keepalived ${r.keepalived.verdict} it, lvs-agent did not refuse it`);
  const accepted = rows.filter((r) => r.keepalived.verdict === "accepts");
  const imported = accepted.filter((r) => r.ours !== "refused");
  assert.ok(imported.length >= IMPORTED_FLOOR, `imported ${imported.length}, fewer than the ${IMPORTED_FLOOR} before`);

  const table = renderTable(rows);
  const generated = `# keepalived.conf corpus: outcomes\n\nGenerated by test/keepalived/corpus.test.ts (UPDATE_CORPUS_TABLE=1 to rewrite); the README's "keepalived.conf corpus" section holds the same table.\n\n${table}\n`;
  const readme = readFileSync(README, "utf8");
  if (process.env.UPDATE_CORPUS_TABLE === "1") {
    writeFileSync(OUTCOMES, generated);
    writeFileSync(README, withSection(readme, table));
  }
  assert.equal(
    readFileSync(OUTCOMES, "utf8"),
    generated,
    "test/keepalived/corpus-outcomes.md is stale: UPDATE_CORPUS_TABLE=1 node scripts/test.mjs --only=test/keepalived/corpus",
  );
  assert.equal(
    sectionBody(readFileSync(README, "utf8")),
    table,
    "README.md's keepalived.conf corpus section differs: UPDATE_CORPUS_TABLE=1 node scripts/test.mjs --only=test/keepalived/corpus",
  );

  await t.test("90% of the files keepalived accepts are imported", () => {
    assert.ok(imported.length >= 0.9 * accepted.length, `${imported.length} of ${accepted.length}`);
  });
});
