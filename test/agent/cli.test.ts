// `lvs-agent validate` and `lvs-agent run` failing the way an operator needs: every problem at once, each
// naming its field (and file), and a run that cannot work exits at once saying why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab } from "../helpers/netns.ts";
import { lvsAgent } from "./fixtures/ops.ts";

const NOBODY = 65534;

test("validate, and run refusing to start", { timeout: 60_000 }, async () => {
  const tmp = mkdtempSync("/tmp/lvs-cli-");
  chmodSync(tmp, 0o755);
  const lab = Lab.create([{ name: "d1", addr: "10.66.0.11/24" }]);
  try {
    const d1 = lab.host("d1");
    const file = (name: string, data: unknown) => {
      const p = join(tmp, name);
      writeFileSync(p, typeof data === "string" ? data : JSON.stringify(data, null, 2));
      chmodSync(p, 0o644);
      return p;
    };
    const good = { interface: "eth0", vrid: 1, advertInterval: 0.1, virtualAddresses: [{ address: "10.66.0.100/24" }] };

    // --- one file with many problems
    const bad = file("bad.json", {
      global: { statusSocket: "relative.sock", metricsListen: "9572" },
      instances: {
        VI_1: {
          interface: "eth0",
          vrid: 300,
          priority: 0,
          preemt: false,
          advertInterval: 0.1,
          virtualAddresses: [{ address: "10.66.0.300/24" }],
          trackScripts: [{ name: "chk_missing" }],
        },
        VI_2: { interface: "eth0", vrid: 2, version: 2, advertInterval: 0.5, virtualAddresses: [] },
        VI_3: { ...good, auth: { type: "PASS", password: "x" } },
      },
      scripts: { chk: { script: "check.sh", user: "root" } },
    });
    // --- a conf.d whose problems are spread over fragments
    const dir = join(tmp, "conf.d");
    mkdirSync(dir);
    writeFileSync(join(dir, "10-a.json"), JSON.stringify({ instances: { VI_A: good } }));
    writeFileSync(
      join(dir, "20-b.json"),
      JSON.stringify({
        instances: {
          VI_A: { ...good, vrid: 2 },
          VI_B: { ...good, vrid: 3, virtualAddresses: [{ address: "10.66.0.100" }] },
        },
      }),
    );
    writeFileSync(join(dir, "30-c.json"), '{\n  "instances": {\n    "VI_C": { "vrid": 4 ]\n}\n');
    const valid = file("valid.json", {
      instances: {
        VI_1: good,
        VI_2: { ...good, vrid: 2, version: 2, advertInterval: 1, virtualAddresses: [{ address: "10.66.0.101" }] },
      },
    });

    const [rBad, rDir, rValid, rRunBad] = await Promise.all([
      lvsAgent(d1, ["validate", "--config", bad]),
      lvsAgent(d1, ["validate", "--config-dir", dir]),
      lvsAgent(d1, ["validate", "--config", valid]),
      lvsAgent(d1, ["run", "--config", bad]),
    ]);

    assert.equal(rBad.code, 1, rBad.stdout + rBad.stderr);
    const expectBad = [
      /instances\.VI_1\.vrid: must be .*1-255/,
      /instances\.VI_1\.priority: must be .*1-255/,
      /instances\.VI_1\.preemt: unknown field \(did you mean "preempt"\?\)/,
      /instances\.VI_1\.virtualAddresses\[0\]\.address: "[^"]*" is not an IPv4 address/,
      /instances\.VI_1\.trackScripts\[0\]\.name: no script "chk_missing"/,
      /instances\.VI_2\.advertInterval: VRRPv2 advertises in whole seconds/,
      /instances\.VI_3\.auth: authentication is VRRPv2 only/,
      /scripts\.chk\.script: must start with the absolute path/,
      /scripts\.chk\.user: must not be root/,
      /global\.statusSocket: "[^"]*" is a relative path: .* give an absolute path/,
      /global\.metricsListen: must be host:port/,
    ];
    for (const re of expectBad) assert.match(rBad.stderr, re);
    const problemLines = rBad.stderr.split("\n").filter((l) => l.startsWith("  "));
    assert.equal(problemLines.length, expectBad.length, `one line per problem, got:\n${rBad.stderr}`);
    assert.equal(rBad.stdout, "");

    assert.equal(rDir.code, 1, rDir.stdout + rDir.stderr);
    assert.match(rDir.stderr, /instance "VI_A" is defined in both 10-a\.json and 20-b\.json/);
    assert.match(
      rDir.stderr,
      /20-b\.json: instances\.VI_B\.virtualAddresses\[0\]\.address: 10\.66\.0\.100 is already a virtual address of instance VI_A/,
    );
    assert.match(rDir.stderr, /30-c\.json:3:\d+: invalid JSON/);

    assert.equal(rValid.code, 0, rValid.stderr);
    assert.match(rValid.stdout, /configuration valid: 2 instance\(s\) from 1 file\(s\)/);

    // `run` on the same bad file: the same problems, nothing started.
    assert.equal(rRunBad.code, 1);
    for (const re of expectBad) assert.match(rRunBad.stderr, re);
    assert.ok(!rRunBad.stderr.includes('"event":"vrrp.transition"'), "an invalid config started an instance");

    // --- run with an interface that does not exist; the address owner beside it must not keep its VIP
    const sockDir = join(tmp, "run");
    mkdirSync(sockDir, { mode: 0o755 });
    chownSync(sockDir, NOBODY, NOBODY);
    const noIface = file("noiface.json", {
      global: { statusSocket: join(sockDir, "a.sock"), metricsListen: "" },
      instances: {
        VI_OWNER: { ...good, priority: 255, sourceIp: "10.66.0.100" },
        VI_GONE: { ...good, vrid: 2, interface: "nosuch0", virtualAddresses: [{ address: "10.66.0.102" }] },
      },
    });
    const rGone = await lvsAgent(d1, ["run", "--config", noIface]);
    assert.notEqual(rGone.code, 0);
    assert.match(rGone.stderr, /^lvs-agent: .*interface nosuch0 does not exist/m);
    assert.ok(!d1.hasAddr("10.66.0.100"), "the agent exited with a VIP still on eth0");

    // --- run without CAP_NET_RAW, as nobody, with a socket path nobody can create
    const unpriv = file("unpriv.json", {
      global: { statusSocket: join(sockDir, "b.sock"), metricsListen: "" },
      instances: { VI_1: good },
    });
    const setpriv = [
      "setpriv",
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
    ];
    const whoami = await lvsAgent(d1, ["validate", "--config", unpriv], setpriv);
    assert.equal(whoami.code, 0, `the unprivileged user cannot even read the config: ${whoami.stderr}`);
    const rCap = await lvsAgent(d1, ["run", "--config", unpriv], setpriv);
    assert.notEqual(rCap.code, 0);
    assert.match(rCap.stderr, /^lvs-agent: .*needs CAP_NET_RAW to open a VRRP socket on eth0/m);
    assert.ok(!rCap.stderr.includes("    at "), `a stack trace instead of a message:\n${rCap.stderr}`);
    assert.ok(!existsSync(join(sockDir, "b.sock")), "a failed start left a status socket behind");
    assert.ok(!d1.hasAddr("10.66.0.100"));

    // --- reload/status with no agent at the socket: exit 3 (not running), told apart from a failure (1)
    for (const cmd of ["reload", "status"]) {
      const r = await lvsAgent(d1, [cmd, "--socket", join(sockDir, "b.sock")]);
      assert.equal(r.code, 3, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, /^lvs-agent: cannot reach lvs-agent at .*b\.sock: .*ENOENT/m);
    }
  } finally {
    lab.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
});
