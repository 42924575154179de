// keepalived 2.2.7 itself as the oracle for the fixtures: `keepalived -t -f FILE` (config test) in a
// namespace that has the fixtures' interfaces. It shows that the fixtures are real keepalived configs,
// and checks our claims about keepalived: every keyword keepalived calls unknown is one our converter
// notes as "keepalived ignores it" (nat_mask, nb_get_retry), at the same line, and nothing else is;
// anything else keepalived says is listed here with why it is expected. The flattened seed shows the
// one-line note's claim: keepalived reads only a line's first keyword.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Lab, isRoot } from "../helpers/netns.ts";
import { REPO } from "../helpers/agent.ts";
import { lexFile } from "../../agent/src/keepalived/lexer.ts";
import { keepalivedToAgentConfig } from "../../agent/src/keepalived/convert.ts";
import { findOnPath } from "../../agent/src/keepalived/load.ts";

const FIXTURES = join(REPO, "agent/src/keepalived/fixtures");

const SECURITY = "SECURITY VIOLATION - scripts are being executed but script_security not enabled.";
/** What keepalived says besides unknown keywords, per fixture, and why that is expected. */
const EXPECTED: Record<string, string[]> = {
  // The seeds run `pidof nginx` without enable_script_security: keepalived warns and runs it as root;
  // lvs-agent runs it as an unprivileged user.
  "keepalived-master.conf": [SECURITY],
  "keepalived-slave.conf": [SECURITY],
  "lvs-dr-ens33.conf": [],
  "lvs-dr.conf": [
    // keepalived 2.2.7 refuses 0 and keeps its default, which is 0: the converter takes 0 as given.
    "(Line 5) number '0' outside range [0.000001, 4294.967295]",
    "(Line 5) vrrp_garp_interval '0' is invalid",
    "(Line 6) number '0' outside range [0.000001, 4294.967295]",
    "(Line 6) vrrp_gna_interval '0' is invalid",
    // vrrp_strict, which the converter refuses: strict mode changes the seed's own settings.
    "(VI_1) State MASTER must match being address owner",
    "(VI_1) Strict mode does not support authentication. Ignoring.",
  ],
};

const hasKeepalived = !spawnSync("keepalived", ["--version"]).error;
const skip = !isRoot ? "needs root" : !hasKeepalived ? "keepalived not installed" : false;

function configTest(ns: string, file: string): string[] {
  const r = spawnSync("ip", ["netns", "exec", ns, "keepalived", "-t", "-f", file], {
    encoding: "utf8",
    timeout: 20_000,
  });
  return `${r.stdout}${r.stderr}`.split("\n").filter((l) => l.trim() !== "");
}

/** "LINE KEYWORD" for keepalived's "(file: Line N) Unknown keyword 'K'". */
function unknownKeywords(lines: string[]): string[] {
  return lines.flatMap((l) => {
    const m = /: Line (\d+)\) Unknown keyword '([^']+)'$/.exec(l);
    return m ? [`${m[1]} ${m[2]}`] : [];
  });
}

/** "LINE KEYWORD" for the converter's notes that keepalived ignores a keyword. */
function notedAsIgnoredByKeepalived(file: string): string[] {
  const src = lexFile(file, { read: (p) => readFileSync(p, "utf8"), list: () => [] });
  const r = keepalivedToAgentConfig(src, { resolveCommand: (n) => findOnPath(n) });
  return r.notes.flatMap((n) => {
    const m = /:(\d+): '([\w-]+)' (?:is ignored by keepalived 2\.x|is keepalived 1\.x's name)/.exec(n);
    return m ? [`${m[1]} ${m[2]}`] : [];
  });
}

test(
  "keepalived -t: the fixtures are keepalived configs; it ignores exactly the keywords we note",
  { skip, timeout: 60_000 },
  (t) => {
    const help = spawnSync("keepalived", ["--help"], { encoding: "utf8" });
    if (!/--config-test/.test(help.stdout + help.stderr)) return t.skip("this keepalived has no -t (--config-test)");
    const lab = Lab.create([{ name: "d1", addr: "10.64.0.11/24" }]);
    try {
      const d1 = lab.host("d1");
      d1.exec("ip", ["link", "add", "ens33", "type", "veth", "peer", "name", "ens33p"]);
      const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".conf") && !f.includes("flattened"));
      assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort(), "every multi-line fixture has its expectations");
      for (const f of files) {
        const path = join(FIXTURES, f);
        const said = configTest(d1.ns, path);
        const unknown = unknownKeywords(said);
        t.diagnostic(`${f}: keepalived ignores ${unknown.join(", ") || "nothing"}`);
        assert.deepEqual(unknown, notedAsIgnoredByKeepalived(path), `${f}: keywords keepalived ignores vs our notes`);
        assert.deepEqual(
          said.filter((l) => !/Unknown keyword/.test(l)),
          EXPECTED[f],
          `${f}: everything else keepalived says`,
        );
      }
      const flat = configTest(d1.ns, join(FIXTURES, "keepalived-slave.flattened.conf"));
      assert.ok(
        flat.includes("(VI_1) the virtual router id must be set"),
        `keepalived misreads the one-line seed:\n${flat.join("\n")}`,
      );
    } finally {
      lab.destroy();
    }
  },
);
