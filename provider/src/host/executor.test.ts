// The pool and the step wrapper against fake hosts: parallel opening, one session per host, jumps
// opened once and closed last, everything closed on success and on failure, errors naming host and step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Connection } from "./connection.ts";
import { HostsError, StepError, poolKey, step, withHosts, type Connector, type Remote } from "./executor.ts";

const FP = "SHA256:uSIUsUk+FqQMyRSTC4opsphVjaRQ7aHQTo1lYyy6BBg";
const conn = (host: string, extra: object = {}) =>
  Connection.parse({ host, password: "pw-secret", hostKey: FP, ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connector recording what happened, in order. */
function fakes(opts: { delayMs?: number; fail?: Record<string, string> } = {}) {
  const log: string[] = [];
  let open = 0;
  let maxOpenAtOnce = 0;
  let connecting = 0;
  const connect: Connector = async (c, via) => {
    connecting++;
    maxOpenAtOnce = Math.max(maxOpenAtOnce, connecting);
    await sleep(opts.delayMs ?? 1);
    connecting--;
    const why = opts.fail?.[c.host];
    if (why) throw new Error(why);
    open++;
    log.push(`open ${c.host}${via ? ` via ${via.label}` : ""}`);
    const remote: Remote = {
      label: `${c.host}:${c.port}`,
      exec: async (cmd) => ({ code: 0, stdout: `${c.host}: ${cmd}`, stderr: "" }),
      check: async (cmd) => `${c.host}: ${cmd}`,
      writeFile: async () => {},
      readFile: async () => undefined,
      close: async () => {
        open--;
        log.push(`close ${c.host}`);
      },
    };
    return remote;
  };
  return { connect, log, open: () => open, maxParallel: () => maxOpenAtOnce };
}

test("one session per host: a host listed twice shares it; all close at the end", async () => {
  const f = fakes();
  const out = await withHosts(
    [conn("a"), conn("b"), conn("a")],
    async (hosts) => {
      assert.equal(hosts[0]!.ssh, hosts[2]!.ssh);
      assert.notEqual(hosts[0]!.ssh, hosts[1]!.ssh);
      return Promise.all(hosts.map((h) => h.step("hello", (ssh) => ssh.check("echo hi"))));
    },
    { connect: f.connect },
  );
  assert.deepEqual(out, ["a: echo hi", "b: echo hi", "a: echo hi"]);
  assert.equal(f.log.filter((l) => l.startsWith("open")).length, 2);
  assert.equal(f.open(), 0);
});

test("hosts open in parallel", async () => {
  const f = fakes({ delayMs: 100 });
  const t0 = Date.now();
  await withHosts(
    ["a", "b", "c", "d"].map((h) => conn(h)),
    async () => {},
    { connect: f.connect },
  );
  assert.equal(f.maxParallel(), 4);
  assert.ok(Date.now() - t0 < 300, `took ${Date.now() - t0} ms`);
});

test("a jump host shared by two targets opens once, before them, and closes after them", async () => {
  const jumpHost = { host: "j", password: "pw-secret", hostKey: FP };
  const f = fakes();
  await withHosts([conn("t1", { jumpHost }), conn("t2", { jumpHost })], async () => {}, { connect: f.connect });
  assert.deepEqual(f.log.slice(0, 3).sort(), ["open j", "open t1 via j:22", "open t2 via j:22"]);
  assert.equal(f.log[0], "open j");
  assert.deepEqual(f.log.slice(3, 5).sort(), ["close t1", "close t2"]);
  assert.equal(f.log[5], "close j");
});

test("a failing step closes every session and names host and step", async () => {
  const f = fakes();
  await assert.rejects(
    withHosts(
      [conn("10.0.0.5"), conn("10.0.0.6")],
      async ([a]) => {
        await a!.step("install agent", async () => {
          throw new Error('"apt-get install" exited 100 on 10.0.0.5:22: E: no space');
        });
      },
      { connect: f.connect },
    ),
    (err: StepError) => {
      assert.ok(err instanceof StepError);
      assert.equal(
        err.message,
        `host 10.0.0.5: step 'install agent': "apt-get install" exited 100 on 10.0.0.5:22: E: no space`,
      );
      assert.deepEqual([err.host, err.step], ["10.0.0.5", "install agent"]);
      return true;
    },
  );
  assert.equal(f.open(), 0);
});

test("connect failures: the others are closed; one failure is its StepError, several are listed together", async () => {
  const f = fakes({ fail: { b: "cannot reach b:22: connection refused (ECONNREFUSED)" } });
  await assert.rejects(
    withHosts([conn("a"), conn("b")], async () => assert.fail("fn must not run"), { connect: f.connect }),
    {
      message: "host b: step 'connect': cannot reach b:22: connection refused (ECONNREFUSED)",
    },
  );
  assert.equal(f.open(), 0);
  const g = fakes({ fail: { b: "no route", c: "refused" } });
  await assert.rejects(
    withHosts([conn("a"), conn("b"), conn("c")], async () => {}, { connect: g.connect }),
    (err: HostsError) => {
      assert.ok(err instanceof HostsError);
      assert.deepEqual(
        err.errors.map((e) => e.message),
        ["host b: step 'connect': no route", "host c: step 'connect': refused"],
      );
      assert.equal(
        err.message,
        "2 hosts failed:\n  host b: step 'connect': no route\n  host c: step 'connect': refused",
      );
      return true;
    },
  );
  assert.equal(g.open(), 0);
});

test("step: the innermost step names the failure; non-Errors are stringified", async () => {
  await assert.rejects(
    step("h", "outer", () => step("h", "inner", async () => Promise.reject(new Error("x")))),
    { message: "host h: step 'inner': x" },
  );
  await assert.rejects(
    step("h", "s", async () => Promise.reject("plain")),
    { message: "host h: step 's': plain" },
  );
});

test("poolKey separates users, ports, pins and jumps", () => {
  const keys = new Set(
    [
      conn("a"),
      conn("a", { user: "ops" }),
      conn("a", { port: 2222 }),
      conn("a", { hostKey: undefined, insecureIgnoreHostKey: true }),
      conn("a", { jumpHost: { host: "j", password: "x", hostKey: FP } }),
    ].map(poolKey),
  );
  assert.equal(keys.size, 5);
  assert.equal(poolKey(conn("a")), poolKey(conn("a", { password: "another" })));
});
