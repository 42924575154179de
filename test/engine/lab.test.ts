// The lab end to end through the real Pulumi CLI (built by scripts/install-pulumi.sh): `lvsctl lab up`
// deploys a cluster on user-mode Linux directors and namespace real servers with `pulumi up`; the
// client's requests are balanced over both real servers; the master fails over; hand edits show in
// `pulumi preview --refresh --diff` and `pulumi up --refresh` repairs them; `pulumi destroy` puts the
// hosts back; `lab down` leaves nothing. Each step runs lvsctl as a user would, with --json.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { AGENT_VERSION } from "../../agent/src/version.ts";
import {
  HAND_VERSION,
  type DriftReport,
  type FailoverReport,
  type PreviewReport,
} from "../../lvsctl/src/lab/commands.ts";
import { probe, type LabView } from "../../lvsctl/src/lab/observe.ts";
import { assertDownLeftNothing, labSkip as skip, lvsctl as run, lvsctlJson } from "./lab-cli.ts";
import { UserProject } from "./user-project.ts";
import { ssh } from "../../lvsctl/src/lab/access.ts";
import { labDir, readRecord } from "../../lvsctl/src/lab/record.ts";
import { topology, type LabHost, type Topology } from "../../lvsctl/src/lab/topology.ts";
import { waitFor } from "../helpers/netns.ts";

const topologyOf = (name: string): Topology => {
  const rec = readRecord(name);
  if (!rec) throw new Error(`no lab ${name}`);
  return topology(rec.options, rec.slot);
};

const NAME = `e${process.pid % 1_000_000}`;
/** Master_Down_Interval for the backup (priority 99, advert 0.2 s): 3 x 0.2 + (256 - 99) / 256 x 0.2 s. */
const MASTER_DOWN_MS = 3 * 200 + ((256 - 99) / 256) * 200;
/** What the client may lose beyond it: a probe's 200 ms timeout, GARP, the engine's loaded machine. */
const MARGIN_MS = 3000;

const lvsctl = (...args: string[]) => run(NAME, ...args);
const json = <T>(...args: string[]) => lvsctlJson<T>(NAME, ...args);

const status = () => json<LabView>("status");

/**
 * A preview as a golden text: host-specific values (the lab's addresses, pins) as fixed marks, and the
 * resources' blocks in name order (the engine diffs them in parallel, so their order varies).
 */
function maskHosts(text: string): string {
  const masked = text
    .replace(/\b10\.\d+\.\d+\.(\d+)\b/g, "10.x.x.$1")
    .replace(/SHA256:[A-Za-z0-9+/=]+/g, "SHA256:<pin>");
  const [head, ...blocks] = masked.split(/\n(?= {4}[~+-]{1,2} ?lvs:index:)/);
  const tail = blocks.length > 0 ? blocks[blocks.length - 1]!.split(/\n(?=Resources:)/) : [];
  if (tail.length === 2) blocks[blocks.length - 1] = tail[0]!;
  return [head, ...blocks.sort(), ...(tail.length === 2 ? [tail[1]] : [])].join("\n");
}

/** The text must equal test/engine/fixtures/<file>; a missing file is written (review it, then commit). */
function assertGolden(file: string, text: string): void {
  const path = new URL(`fixtures/${file}`, import.meta.url).pathname;
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    assert.fail(`wrote ${path}: review it and commit it`);
  }
  assert.equal(text, readFileSync(path, "utf8"), `differs from ${path}`);
}

/** A second agent install on a director, beside the lab's, for the Ctrl-C step. */
const EXTRA_DIR = "/opt/lvs-extra";
/** The lab agent's CLI on a director. */
const AGENT_CLI = "/opt/lvs-agent/current/bin/lvs-agent";
/** Secrets the user project holds besides the SSH key: its SSH password and a VRRPv2 password (8 characters at most). */
const SSH_PASSWORD = "ssh-pw-7Kq2Zx9";
const VRRP_PASSWORD = "Vr7pQ2zK";

/** A command on a lab host over SSH, as an operator would run it there. */
function onHost(h: LabHost, script: string): { code: number; stdout: string } {
  return ssh(topologyOf(NAME), labDir(NAME), h, script);
}

/** The inputs `pulumi import` recorded, by resource name, from `pulumi stack export`. */
function importedInputs(exported: string): Record<string, Record<string, unknown>> {
  const resources = (
    JSON.parse(exported) as {
      deployment: { resources: Array<{ type: string; urn: string; inputs: Record<string, unknown> }> };
    }
  ).deployment.resources;
  return Object.fromEntries(
    resources.filter((r) => r.type.startsWith("lvs:index:")).map((r) => [r.urn.split("::").pop()!, r.inputs]),
  );
}

/** A program declaring these resources with these inputs (as `pulumi import --out` writes one), for changed programs. */
function programOf(inputs: Record<string, Record<string, unknown>>): string {
  const types: Record<string, string> = { rs1: "RealServer", d1: "Director", web: "Vip", http: "VirtualServer" };
  const type = (name: string) => types[name] ?? "Director";
  const decls = Object.entries(inputs).map(
    ([name, args]) =>
      `new lvs.${type(name)}(${JSON.stringify(name)}, ${JSON.stringify(args, null, 2)}, { protect: true });`,
  );
  return ['import * as lvs from "@pulumi/lvs";', "", ...decls, ""].join("\n");
}

/** Every file of a Pulumi file backend (the lab's, or a user project's .state), as text. */
function stateFiles(root: string): string {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [readFileSync(join(dir, e.name), "utf8")],
    );
  return walk(root).join("\n");
}

/**
 * The steps a `pulumi preview --diff` plans, by resource type (one of each in the lab changes at a
 * time): the text of each "~ lvs:index:<Type>: (update)" block, after the refresh part.
 */
function planned(preview: string): Record<string, string> {
  const plan = preview.slice(preview.lastIndexOf("pulumi:pulumi:Stack: (same)"));
  const blocks = plan.split(/\n(?=\s*[~+-]\s+lvs:index:\w+: \()/).slice(1);
  return Object.fromEntries(
    blocks.map((b) => [/lvs:index:(\w+): \(/.exec(b)![1]!, b.replace(/\nResources:[\s\S]*$/, "")]),
  );
}

test(
  "the lab through the real Pulumi CLI: up, failover, drift, repair, destroy, down",
  { skip, timeout: 1_500_000 },
  async (t) => {
    try {
      // 1. up: both real servers answer through the VIP
      const up = json<{ phases: [string, number][]; balance: Record<string, number>; master?: string }>("up");
      const upText = JSON.stringify(up);
      t.diagnostic(`lab up phases (ms): ${JSON.stringify(up.phases)}`);
      assert.equal(up.master, "d1", "the director at priority 150 holds the VIP");
      assert.ok(
        (up.balance.rs1 ?? 0) > 0 && (up.balance.rs2 ?? 0) > 0,
        `rr over both real servers: ${JSON.stringify(up.balance)}`,
      );
      const s1 = status();
      assert.deepEqual(
        s1.directors.map((d) => d.state),
        ["MASTER", "BACKUP"],
      );
      for (const r of s1.realServers) {
        assert.equal(r.arpIgnore, "1", `${r.name} arp_ignore set by the provider`);
        assert.deepEqual(r.loopback, [`${s1.vip}/32`], `${r.name} VIP on lo`);
      }

      // 2. failover: the backup serves within Master_Down_Interval plus a margin
      const f = json<FailoverReport>("failover", "--crash");
      t.diagnostic(`crash failover: longest gap ${f.timeline.longestGapMs} ms, ${f.timeline.failed} failed requests`);
      assert.equal(f.takenOverBy, "d2");
      assert.ok(f.timeline.longestGapMs <= MASTER_DOWN_MS + MARGIN_MS, `gap ${f.timeline.longestGapMs} ms`);
      // The crashed agent's supervisor restarts it and it takes the VIP back by preemption, which may fall
      // on the window's last request (one was lost there under load): the client must be answered after.
      await waitFor(
        async () => (await probe(topologyOf(NAME), 5, 20, 200).answers).every((a) => a.who !== undefined),
        20_000,
        "the client answered through the VIP after the failover",
        500,
      );

      // 3. drift: the real `pulumi preview --refresh --diff` names each hand edit by resource and
      // property, with the host's value and the program's
      const d = json<DriftReport>("drift");
      t.diagnostic(`hand edits: ${d.edits.join(" | ")}`);
      const plan = planned(d.preview);
      assert.match(plan.RealServer ?? "", /~ arpIgnore: 0 => 1/, "arp_ignore set to 0 on rs1");
      assert.match(
        plan.RealServer ?? "",
        /~ vips\s*: \[\s*\+ \[0\]: "10\.\d+\.0\.100"/,
        "the loopback VIP deleted on rs1",
      );
      assert.match(
        plan.Vip ?? "",
        /~ directors: \[\s*~ \[\d\]: \{\s*~ priority: 201 => (150|99)/,
        "the VIP's fragment edited on the master",
      );
      assert.match(
        plan.Director ?? "",
        new RegExp(`~ agentVersion: "${HAND_VERSION}" => "${AGENT_VERSION}"`),
        "another agent version on the backup",
      );
      assert.match(
        plan.Director ?? "",
        /- drift\s*: \[\s*-\s+\[0\]: "lib\/lvs-agent\.mjs: sha256 /,
        "the install's modified file, which no input shows",
      );
      assert.match(
        plan.VirtualServer ?? "",
        /~ realServers: \[\s*~ \[0\]: \{\s*~ weight: 9 => 1/,
        "the IPVS weight edited by ipvsadm -e on the master",
      );
      assert.equal(d.changes.update, 4, JSON.stringify(d.changes));

      // 4. pulumi up --refresh repairs every edit; then a preview plans nothing
      const repair = lvsctl("repair");
      assert.equal(repair.code, 0, repair.err);
      const s2 = status();
      assert.deepEqual(s2.directors.map((x) => x.state).sort(), ["BACKUP", "MASTER"]);
      assert.equal(s2.realServers[0]!.arpIgnore, "1");
      assert.deepEqual(s2.realServers[0]!.loopback, [`${s2.vip}/32`]);
      const after = json<PreviewReport>("preview");
      assert.deepEqual(planned(after.preview), {}, after.preview);
      assert.equal(after.changes.update ?? 0, 0, JSON.stringify(after.changes));

      // 5. pulumi import, into a user's own project whose provider config holds the SSH settings: a
      // prepared real server and a director; the program declaring what was imported previews no change
      const user = UserProject.create(NAME);
      try {
        // An SSH password in the provider config too (the lab's sshd takes keys only: it is tried, refused,
        // and the key logs in), so the secrets check below can look for it everywhere.
        user.must("config", "set", "--secret", "lvs:password", { input: SSH_PASSWORD });
        const [rs1, d1, d2] = [user.host("rs1"), user.host("d1"), user.host("d2")];
        writeFileSync(
          join(user.dir, "import.json"),
          JSON.stringify({
            resources: [
              { type: "lvs:index:RealServer", name: "rs1", id: `http-rs1@${rs1.address}` },
              { type: "lvs:index:Director", name: "d1", id: `${d1.address}:/opt/lvs-agent` },
              { type: "lvs:index:Vip", name: "web", id: `web@${d1.address},${d2.address}` },
              { type: "lvs:index:VirtualServer", name: "http", id: `http@${d1.address},${d2.address}` },
            ],
          }),
        );
        // The program `pulumi import --out` writes (the language host's GenerateProgram, from the package schema)
        const imported = user.must("import", "--file", "import.json", "--out", "index.ts", "--yes");
        const generated = readFileSync(join(user.dir, "index.ts"), "utf8");
        t.diagnostic(`pulumi import --out wrote ${generated.split("\n").length} lines of TypeScript`);
        for (const [type, name] of [
          ["RealServer", "rs1"],
          ["Director", "d1"],
          ["Vip", "web"],
          ["VirtualServer", "http"],
        ]) {
          assert.match(
            generated,
            new RegExp(`new lvs\\.${type}\\("${name}", \\{`),
            `${name} declared in the generated program`,
          );
        }
        const typed = user.typecheck("index.ts");
        assert.equal(typed.code, 0, `the generated program typechecks against @pulumi/lvs's .d.ts:\n${typed.out}`);
        const exported = user.must("stack", "export");
        const inputs = importedInputs(exported);
        assert.deepEqual(inputs.rs1, {
          name: "http-rs1",
          address: rs1.address,
          vips: [s2.vip],
          arpIgnore: 1,
          arpAnnounce: 2,
          connection: { host: rs1.address },
        });
        assert.deepEqual(inputs.d1, {
          connection: { host: d1.address },
          installDir: "/opt/lvs-agent",
          agentVersion: AGENT_VERSION,
          running: true,
          sysctls: {},
          global: { ipvsReconcileInterval: 0 },
        });
        assert.deepEqual(
          (inputs.web!.directors as unknown[]).map((x) => (x as { connection: unknown; priority: number }).priority),
          [150, 99],
        );
        assert.deepEqual(inputs.http!.directors, [{ host: d1.address }, { host: d2.address }]);
        assert.equal((inputs.http!.realServers as unknown[]).length, 2);
        const unchanged = user.pulumi("preview", "--diff", "--expect-no-changes");
        assert.equal(unchanged.code, 0, `${unchanged.out}\n${unchanged.err}`);
        // A changed program: the preview's detailed diff, as the user reads it (kept as a golden text)
        const web = inputs.web as { directors: Array<Record<string, unknown>> };
        const changed = {
          ...inputs,
          rs1: { ...inputs.rs1, arpAnnounce: 1 },
          d1: { ...inputs.d1, sysctls: { "net.ipv4.vs.expire_nodest_conn": 1 } },
          web: { ...web, directors: [web.directors[0], { ...web.directors[1], priority: 90 }] },
        };
        writeFileSync(join(user.dir, "index.ts"), programOf(changed));
        const diffText = user.must("preview", "--diff");
        assertGolden("changed-program.preview.txt", maskHosts(diffText));
        const ghost = user.pulumi(
          "import",
          "lvs:index:RealServer",
          "ghost",
          `ghost@${rs1.address}`,
          "--generate-code=false",
          "--yes",
        );
        assert.notEqual(ghost.code, 0);
        assert.match(
          ghost.out,
          new RegExp(
            `no real server "ghost" is prepared on ${rs1.address.replaceAll(".", "\\.")}: its preparation record \\S+ names http-rs1`,
          ),
        );
        // 6. a customTimeouts deadline, then Ctrl-C while a bundle uploads (a second install on d2, left
        // stopped): the host as before each, or as after it, never half-way; the next `pulumi up` converges
        const extra = {
          connection: { host: d2.address },
          installDir: EXTRA_DIR,
          configDir: "/etc/lvs-agent/extra.d",
          serviceManager: "supervised",
          running: false,
          global: { statusSocket: "/run/lvs-extra.sock", metricsListen: "" },
        };
        // First with a customTimeouts deadline no install can meet (connect, lock, a 40 MB upload and its
        // check take seconds): the create stops at a step boundary, naming host and step, and leaves no stage.
        writeFileSync(
          join(user.dir, "index.ts"),
          `${programOf(inputs)}new lvs.Director("extra", ${JSON.stringify(extra)}, { customTimeouts: { create: "500ms" } });\n`,
        );
        const timedOut = user.pulumi("up", "--yes", "--skip-preview");
        t.diagnostic(
          `customTimeouts create 500ms: exit ${timedOut.code}; ${timedOut.out
            .split("\n")
            .find((l) => l.includes("stopped"))
            ?.trim()}`,
        );
        assert.notEqual(timedOut.code, 0, "the create timed out");
        assert.match(
          timedOut.out,
          new RegExp(
            `host ${d2.address.replaceAll(".", "\\.")}: step '[^']+': .*stopped(?: before this step)?: the operation's timeout \\(0\\.5 s, customTimeouts\\) passed`,
          ),
        );
        assert.equal(
          onHost(d2, `ls -A ${EXTRA_DIR}/versions 2>/dev/null | grep '^[.]incoming' || true`).stdout.trim(),
          "",
          "no upload stage left after the timeout",
        );
        writeFileSync(
          join(user.dir, "index.ts"),
          `${programOf(inputs)}new lvs.Director("extra", ${JSON.stringify(extra)});\n`,
        );
        const interrupted = user.start("up", "--yes", "--skip-preview");
        await waitFor(
          () => onHost(d2, `ls -d ${EXTRA_DIR}/versions/.incoming-* 2>/dev/null`).stdout.trim() !== "",
          120_000,
          "the upload to start",
          250,
        );
        process.kill(interrupted.pid, "SIGINT");
        const cancelled = await interrupted.exited;
        t.diagnostic(
          `Ctrl-C during the upload: exit ${cancelled.code}; ${cancelled.out
            .split("\n")
            .find((l) => l.includes("stopped:"))
            ?.trim()}`,
        );
        assert.notEqual(cancelled.code, 0, "the update was cancelled");
        // Mid-upload here (the transfer takes seconds); a machine fast enough to finish the upload before
        // the signal lands stops at the next step instead: either way the engine's Cancel stopped it.
        assert.match(
          cancelled.out,
          /step '[^']+': .*stopped(?: before this step)?: the engine asked the provider to cancel \(Ctrl-C\)/,
          "the engine's Cancel stopped the install",
        );
        assert.equal(
          onHost(d2, `ls -A ${EXTRA_DIR}/versions 2>/dev/null | grep '^[.]incoming' || true`).stdout.trim(),
          "",
          "no upload stage left",
        );
        // Nothing installed (stopped mid-upload), or a whole verified version (stopped after it): never half of one.
        assert.equal(
          onHost(d2, `[ ! -e ${EXTRA_DIR}/current ] || [ -f ${EXTRA_DIR}/current/MANIFEST.json ]`).code,
          0,
          "no half install",
        );
        // The next `pulumi up` converges; it also adds a VRRPv2 instance with a password (auth PASS) beside
        // the lab's, so that password goes through a whole lifecycle too.
        const webInputs = inputs.web as { vrid: number; addresses: string[] };
        const legacy = {
          ...inputs.web,
          name: "legacy",
          vrid: webInputs.vrid + 1,
          version: 2,
          advertInterval: 1,
          addresses: webInputs.addresses.map((a) => a.replace(/\.\d+\//, ".101/")),
          auth: { type: "PASS", password: VRRP_PASSWORD },
        };
        writeFileSync(
          join(user.dir, "index.ts"),
          `${programOf(inputs)}new lvs.Director("extra", ${JSON.stringify(extra)});\nnew lvs.Vip("legacy", ${JSON.stringify(legacy)});\n`,
        );
        const converged = user.must("up", "--yes", "--skip-preview");
        assert.match(onHost(d1, `${AGENT_CLI} status`).stdout, /legacy/, "the VRRPv2 instance runs on d1");
        const exportedAfter = user.must("stack", "export");
        assert.match(onHost(d2, `readlink ${EXTRA_DIR}/current`).stdout, /^versions\/\S+/);
        assert.notEqual(
          onHost(d2, `${EXTRA_DIR}/current/bin/lvs-agent status --socket /run/lvs-extra.sock`).code,
          0,
          "installed and left stopped (running: false)",
        );
        user.must(
          "destroy",
          "--yes",
          "--skip-preview",
          "--target",
          "urn:pulumi:user::lvs-user::lvs:index:Director::extra",
          "--target",
          "urn:pulumi:user::lvs-user::lvs:index:Vip::legacy",
        );
        assert.equal(onHost(d2, `ls -d ${EXTRA_DIR} 2>/dev/null`).stdout.trim(), "", "removed");

        // 7. no secret anywhere a user looks: the CLI's output, the stack exports, both state backends.
        // Secrets: each line of the SSH key, the SSH password and the VRRP password.
        const secrets = [
          ...user.privateKey.split("\n").filter((l) => l.length > 40 && !l.startsWith("-----")),
          SSH_PASSWORD,
          VRRP_PASSWORD,
        ];
        const seen = [
          upText,
          d.preview,
          repair.out,
          repair.err,
          after.preview,
          imported,
          generated,
          exported,
          unchanged.out,
          ghost.out,
          diffText,
          cancelled.out,
          cancelled.err,
          timedOut.out,
          converged,
          exportedAfter,
          stateFiles(`/var/lib/lvs-lab/${NAME}/state`),
          stateFiles(join(user.dir, ".state")),
        ].join("\n");
        for (const secret of secrets)
          assert.ok(!seen.includes(secret), `a secret was shown (${secrets.indexOf(secret)} of the list)`);
      } finally {
        user.remove();
      }

      // 8. pulumi destroy puts the hosts' sysctls and addresses back, removes the agents
      const destroy = lvsctl("destroy");
      assert.equal(destroy.code, 0, `${destroy.err}\n${destroy.out.slice(-4000)}`);
      const s3 = status();
      for (const x of s3.directors) assert.equal(x.state, "no agent", `${x.name} agent removed`);
      for (const r of s3.realServers) {
        assert.equal(r.arpIgnore, "0", `${r.name} arp_ignore restored`);
        assert.equal(r.arpAnnounce, "0", `${r.name} arp_announce restored`);
        assert.deepEqual(r.loopback, [], `${r.name} VIP off lo`);
      }
    } finally {
      // 9. lab down leaves nothing: namespaces, guests, processes, files
      assertDownLeftNothing(NAME);
    }
  },
);
