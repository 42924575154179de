import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { requestStatus, startStatusServer, type StatusHandlers } from "./socket.ts";

let base = "";
before(async () => {
  base = await mkdtemp("/tmp/lvs-sock-");
  await chmod(base, 0o755);
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

const handlers = (over: Partial<StatusHandlers> = {}): StatusHandlers => ({
  status: () => ({ pid: 42, instances: [] }),
  reload: async () => ({ ok: true }),
  ...over,
});

/** Sends raw text; collects `n` reply lines. */
function raw(path: string, text: string, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => s.write(text));
    let buf = "";
    s.setEncoding("utf8");
    s.on("data", (c: string) => {
      buf += c;
      const lines = buf.split("\n").filter(Boolean);
      if (lines.length >= n) {
        s.destroy();
        resolve(lines);
      }
    });
    s.on("error", reject);
  });
}

test("creates a root-only directory and socket; status and reload round trip", async () => {
  const path = join(base, "run", "lvs-agent", "agent.sock");
  const srv = await startStatusServer(
    path,
    handlers({ reload: async () => ({ ok: false, problems: ["a.json: instances.X.vrid: must be 1-255"] }) }),
  );
  try {
    assert.equal((await stat(join(base, "run", "lvs-agent"))).mode & 0o777, 0o700);
    const st = await stat(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.deepEqual(await requestStatus(path, "status"), { pid: 42, instances: [] });
    assert.deepEqual(await requestStatus(path, "reload"), {
      ok: false,
      problems: ["a.json: instances.X.vrid: must be 1-255"],
    });
  } finally {
    await srv();
  }
  await assert.rejects(stat(path), /ENOENT/, "close removes the socket");
  await assert.rejects(requestStatus(path, "status"), /cannot reach lvs-agent/);
});

test("a directory another user could change is refused: world- or group-writable, or not root's", async () => {
  const cases: Array<[string, number, number, string]> = [
    ["open", 0o777, 0, "world-writable"],
    ["group", 0o770, 100, "writable by group 100"],
    ["theirs", 0o755, 65534, "owned by uid 65534, not root"],
  ];
  for (const [name, mode, id, why] of cases) {
    const dir = join(base, name);
    await mkdir(dir);
    await chmod(dir, mode);
    await chown(dir, id, id);
    const path = join(dir, "agent.sock");
    await assert.rejects(
      startStatusServer(path, handlers()),
      new RegExp(`^Error: the status socket's directory ${dir} is ${why}: `),
      name,
    );
    await assert.rejects(stat(path), /ENOENT/, `${name}: no socket made`);
  }
  const sticky = join(base, "sticky");
  await mkdir(sticky);
  await chmod(sticky, 0o1777);
  const srv = await startStatusServer(join(sticky, "agent.sock"), handlers());
  await srv();
});

test("an unprivileged user cannot connect", async () => {
  const path = join(base, "priv", "agent.sock");
  const srv = await startStatusServer(path, handlers());
  try {
    const code = `require("net").connect(${JSON.stringify(path)}).on("error", e => { console.log(e.code); process.exit(0) }).on("connect", () => { console.log("CONNECTED"); process.exit(0) })`;
    const r = spawnSync(process.execPath, ["-e", code], { uid: 65534, gid: 65534, encoding: "utf8" });
    assert.equal(r.stdout.trim(), "EACCES");
  } finally {
    await srv();
  }
});

test("several requests on one connection are answered in order; bad ones get errors", async () => {
  const path = join(base, "multi.sock");
  let n = 0;
  const srv = await startStatusServer(path, handlers({ status: () => ++n }));
  try {
    const lines = await raw(path, '{"cmd":"status"}\n\nnot json\n{"cmd":"shutdown"}\n{"cmd":"status"}\n', 4);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      [
        { ok: true, status: 1 },
        { ok: false, error: "request is not JSON" },
        { ok: false, error: 'unknown command "shutdown" (expected "status" or "reload")' },
        { ok: true, status: 2 },
      ],
    );
  } finally {
    await srv();
  }
});

test("a throwing handler is an error reply, and the server keeps serving", async () => {
  const path = join(base, "throw.sock");
  const srv = await startStatusServer(
    path,
    handlers({
      reload: async () => {
        throw new Error("disk on fire");
      },
    }),
  );
  try {
    await assert.rejects(requestStatus(path, "reload"), /^Error: lvs-agent: disk on fire$/);
    assert.deepEqual(await requestStatus(path, "status"), { pid: 42, instances: [] });
  } finally {
    await srv();
  }
});

test("reloads from two clients run one at a time", async () => {
  const path = join(base, "serial.sock");
  let running = 0;
  let most = 0;
  const srv = await startStatusServer(
    path,
    handlers({
      reload: async () => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 50));
        running--;
        return { ok: true };
      },
    }),
  );
  try {
    const replies = await Promise.all([
      requestStatus(path, "reload"),
      requestStatus(path, "reload"),
      requestStatus(path, "reload"),
    ]);
    assert.deepEqual(replies, [{ ok: true }, { ok: true }, { ok: true }]);
    assert.equal(most, 1);
  } finally {
    await srv();
  }
});

test("a stale socket is replaced; a live one or a regular file is refused", async () => {
  const stale = join(base, "stale.sock");
  // A socket file nobody listens on, as a SIGKILLed agent leaves behind.
  const py = spawnSync("python3", [
    "-c",
    `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(stale)})`,
  ]);
  assert.equal(py.status, 0);
  assert.ok((await stat(stale)).isSocket());
  const srv = await startStatusServer(stale, handlers());
  try {
    assert.equal((await requestStatus(stale, "status")).pid, 42);
    await assert.rejects(startStatusServer(stale, handlers()), /another process is serving/);
    assert.equal((await requestStatus(stale, "status")).pid, 42, "the first server is untouched");
  } finally {
    await srv();
  }
  const file = join(base, "file.sock");
  await writeFile(file, "keep me");
  await assert.rejects(startStatusServer(file, handlers()), /exists and is not a socket/);
});

test("a server that never answers times out on the client", async () => {
  const path = join(base, "slow.sock");
  const srv = await startStatusServer(path, handlers({ reload: () => new Promise(() => undefined) }));
  try {
    await assert.rejects(requestStatus(path, "reload", 200), /no reply .* within 200 ms/);
  } finally {
    await srv();
  }
});
