// The provider's SSH edge against Debian's real sshd in lab namespaces.
//
// Where the client runs: the test process lives in the root namespace, which has no route to lab
// addresses. The SSH client side (SshHost, withHosts) therefore runs in the lab host `cli` as
// fixtures/ssh-client.ts, spawned with host.spawn and driven over JSON lines on its stdin/stdout.
// Hosts: `jump` runs sshd on port 22, `target` runs sshd on port 2222 and drops every packet from `cli`
// (nftables), so the target can only be reached through the jump. Nothing else is at .99.
import { after, before, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Lab, isRoot, type Host } from "../helpers/netns.ts";
import { Watched } from "../helpers/procs.ts";
import { startSshd, sudoInstalled, type Sshd } from "../helpers/sshd.ts";
import { randomSubnet } from "../net/fixtures/client.ts";

const CLIENT = fileURLToPath(new URL("./fixtures/ssh-client.ts", import.meta.url));
const PASSWORD = "Lvs-test-pw-7f3e9a";
const net = randomSubnet();
const NOBODY = `${net}.99`;

interface Reply {
  id: number;
  ok: boolean;
  ms: number;
  result?: unknown;
  error?: string;
}

/** The test's handle on fixtures/ssh-client.ts running in a lab host. */
class SshClient {
  private nextId = 1;
  private constructor(private readonly proc: Watched) {}

  static async start(host: Host): Promise<SshClient> {
    const proc = new Watched(host.spawn(process.execPath, ["--import", "tsx", CLIENT]));
    await proc.waitLine((l) => l.text.includes('"ready"'), 20_000, "ssh client fixture ready");
    return new SshClient(proc);
  }

  async request(body: object, timeoutMs = 30_000): Promise<Reply> {
    const id = this.nextId++;
    const from = this.proc.lines.length;
    this.proc.child.stdin!.write(`${JSON.stringify({ id, ...body })}\n`);
    const line = await this.proc.waitLine((l) => l.text.startsWith(`{"id":${id},`), timeoutMs, `reply ${id}`, from);
    return JSON.parse(line.text) as Reply;
  }

  /** The result of a request that must succeed. */
  async ok<T = unknown>(body: object): Promise<T> {
    const r = await this.request(body);
    assert.ok(r.ok, `expected success, got: ${r.error}`);
    return r.result as T;
  }

  /** The failed reply of a request that must fail. */
  async fails(body: object): Promise<Reply & { error: string }> {
    const r = await this.request(body);
    assert.equal(r.ok, false, `expected failure, got ${JSON.stringify(r.result)}`);
    return r as Reply & { error: string };
  }

  kill(): void {
    this.proc.signal("SIGKILL");
  }

  /** Its stderr lines starting with prefix, once there is one (a pipe of its own: it may trail the reply). */
  async stderrLines(prefix: string): Promise<string[]> {
    const all = () => this.proc.lines.filter((l) => l.text.startsWith(prefix)).map((l) => l.text);
    return this.proc.waitLine(() => all().length > 0, 5000, `a line ${prefix}`).then(all);
  }
}

let lab: Lab;
let jump: Sshd, target: Sshd;
let client: SshClient;

/** A connection input for one of the servers, as a resource would carry it. */
const connTo = (s: Sshd, extra: Record<string, unknown> = {}) => ({
  host: s.address,
  port: s.port,
  privateKey: s.clientKey.privateKey,
  hostKey: s.hostKeyFingerprint,
  ...extra,
});
const label = (s: Sshd) => `${s.address}:${s.port}`;
const viaJump = (extra: Record<string, unknown> = {}) => connTo(target, { jumpHost: connTo(jump), ...extra });

async function connect(conn: object): Promise<number> {
  return (await client.ok<{ handle: number }>({ op: "connect", conn })).handle;
}
const call = (handle: number, method: string, ...args: unknown[]) =>
  client.request({ op: "call", handle, method, args });
const callOk = <T = unknown>(handle: number, method: string, ...args: unknown[]) =>
  client.ok<T>({ op: "call", handle, method, args });

before(async () => {
  if (!isRoot) return;
  lab = Lab.create([
    { name: "cli", addr: `${net}.2/24` },
    { name: "jump", addr: `${net}.1/24` },
    { name: "target", addr: `${net}.3/24` },
  ]);
  lab.host("target").exec("nft", ["-f", "-"], {
    input: `table inet lvst {\n chain in {\n  type filter hook input priority 0; policy accept;\n  ip saddr ${net}.2 drop\n }\n}\n`,
  });
  [jump, target] = await Promise.all([
    startSshd(lab.host("jump"), { users: true, password: PASSWORD, rsaHostKey: true }),
    startSshd(lab.host("target"), { port: 2222, users: true }),
  ]);
  client = await SshClient.start(lab.host("cli"));
});

after(async () => {
  client?.kill();
  await Promise.all([jump?.stop(), target?.stop()]);
  lab?.destroy();
});

const skip = !isRoot && "needs root for network namespaces";

test(
  "key auth with a pinned fingerprint: commands run on the host, with stdin, exit code and stderr",
  { skip },
  async (t) => {
    const h = await connect(connTo(jump));
    const r = await callOk<{ code: number; stdout: string; stderr: string }>(
      h,
      "exec",
      "ip -4 -br addr show dev eth0; id -un; cat; echo oops >&2; exit 3",
      { stdin: "piped in\n" },
    );
    assert.equal(r.code, 3);
    assert.match(r.stdout, new RegExp(`^eth0@\\S+ +UP +${jump.address.replace(/\./g, "\\.")}/24 *\nroot\npiped in\n$`));
    assert.equal(r.stderr, "oops\n");
    const failed = await call(h, "check", "ls /nonexistent-lvst");
    assert.match(
      failed.error!,
      new RegExp(
        `^"ls /nonexistent-lvst" exited 2 on ${label(jump)}: ls: cannot access '/nonexistent-lvst': No such file or directory$`,
      ),
    );
    await callOk(h, "close");
    // The pin may also be the host's public key line, as known_hosts or a .pub file holds it.
    const byLine = await connect(connTo(jump, { hostKey: jump.hostPublicKey }));
    const timed = await call(byLine, "exec", "true");
    t.diagnostic(`exec round trip: ${timed.ms} ms`);
    await callOk(byLine, "close");
    // Pinning skipped only when asked for in so many words.
    await callOk(await connect({ ...connTo(jump), hostKey: undefined, insecureIgnoreHostKey: true }), "close");
  },
);

test("a server with two host keys: an RSA key line pin makes it present the RSA key", { skip }, async () => {
  const rsa = jump.rsaHost!;
  await callOk(await connect(connTo(jump, { hostKey: rsa.publicKey })), "close");
  // A fingerprint names no key type: the server presents its ed25519 key, and the RSA pin fails.
  const byFp = await client.fails({ op: "connect", conn: connTo(jump, { hostKey: rsa.fingerprint }) });
  assert.equal(
    byFp.error,
    `host key mismatch for ${label(jump)}: expected ${rsa.fingerprint}, got ${jump.hostKeyFingerprint}`,
  );
});

test(
  "writeFile replaces a file atomically, with its mode; readFile reads it back, absent is undefined",
  { skip },
  async (t) => {
    const h = await connect(connTo(jump));
    const dir = `${jump.dir}/files`;
    await callOk(h, "check", `mkdir -p ${dir}`);
    const path = `${dir}/agent.json`;
    await callOk(h, "writeFile", path, '{"a": "it\'s $HOME"}\n', 0o600);
    assert.equal(await callOk(h, "readFile", path), '{"a": "it\'s $HOME"}\n');
    assert.equal(await callOk(h, "check", `stat -c %a ${path}`), "600\n");
    assert.equal(await callOk(h, "readFile", `${dir}/absent`), null);
    const missing = await call(h, "writeFile", `${dir}/no/such/dir/x`, "x", 0o644);
    assert.match(
      missing.error!,
      new RegExp(`^could not write ${dir}/no/such/dir/x on ${label(jump)}: mktemp: failed to create file`),
    );
    const relative = await call(h, "readFile", "etc/passwd");
    assert.equal(relative.error, `path must be absolute: "etc/passwd" (on ${label(jump)})`);

    // A reader on the host hashes the file in a loop while it is rewritten 20 times, alternating two
    // 512 KiB contents: every read must be one of the two whole contents, never a mix or a prefix.
    const A = `${"a".repeat(512 * 1024 - 1)}\n`;
    const B = `${"b".repeat(512 * 1024 - 1)}\n`;
    const md5 = (s: string) => createHash("md5").update(s).digest("hex");
    await callOk(h, "writeFile", path, A, 0o644);
    const reader = new Watched(jump.host.spawn("sh", ["-c", `while :; do md5sum < ${path}; done`]));
    await reader.waitLine(() => true, 5000, "first read");
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) await callOk(h, "writeFile", path, i % 2 ? A : B, 0o644);
    t.diagnostic(`20 writes of 512 KiB: ${Date.now() - t0} ms`);
    reader.signal("SIGKILL");
    await reader.exited();
    const hashes = new Set(reader.lines.map((l) => l.text.split(" ")[0]));
    assert.ok(reader.lines.length >= 20, `only ${reader.lines.length} reads`);
    assert.deepEqual(
      [...hashes].filter((x) => x !== md5(A) && x !== md5(B)),
      [],
      "a reader saw a partial file",
    );
    assert.deepEqual(
      (await callOk<string>(h, "check", `ls -A ${dir}`)).trim().split("\n"),
      ["agent.json"],
      "no temp files left",
    );
    await callOk(h, "close");
  },
);

test(
  "one operation, one connection per host: 30 steps on a host listed twice make one SSH connection",
  { skip },
  async (t) => {
    const before = jump.connections().length;
    const steps = Array.from({ length: 30 }, (_, i) => {
      const host = i % 2;
      if (i % 3 === 0)
        return { host, name: `write ${i}`, method: "writeFile", args: [`${jump.dir}/op-${i}`, `step ${i}`, 0o644] };
      if (i % 3 === 1) return { host, name: `read ${i}`, method: "readFile", args: [`${jump.dir}/op-${i - 1}`] };
      return { host, name: `exec ${i}`, method: "check", args: [`echo ${i}`] };
    });
    const r = await client.request({ op: "operation", conns: [connTo(jump), connTo(jump)], steps });
    assert.ok(r.ok, r.error);
    const results = r.result as unknown[];
    assert.equal(results[1], "step 0");
    assert.equal(results[2], "2\n");
    const fresh = jump.connections().slice(before);
    assert.deepEqual(fresh, [`${net}.2`], "exactly one TCP connection from the client");
    // ...and it was closed at the end of the operation.
    await jump.log.waitLine((l) => /^Disconnected from user root /.test(l.text), 5000, "sshd sees the disconnect");
    t.diagnostic(`operation with 30 steps: ${r.ms} ms`);
  },
);

test(
  "jump host: the target is reached only through the jump, one jump connection for two targets",
  { skip },
  async () => {
    const direct = await client.fails({ op: "connect", conn: connTo(target, { connectTimeout: 1 }) });
    assert.equal(direct.error, `no SSH session with ${label(target)} within 1 s (handshake timed out)`);

    const h = await connect(viaJump());
    assert.equal(await callOk(h, "check", "ip -4 -br addr show dev eth0 | awk '{print $3}'"), `${target.address}/24\n`);
    await callOk(h, "close");
    assert.equal(target.connections().at(-1), jump.address, "the target's sshd saw the jump host as the client");

    const [jumpBefore, targetBefore] = [jump.connections().length, target.connections().length];
    const steps = [0, 1].map((host) => ({ host, name: "who", method: "check", args: ["id -un"] }));
    const users = await client.ok({ op: "operation", conns: [viaJump(), viaJump({ user: "lvst" })], steps });
    assert.deepEqual(users, ["root\n", "lvst\n"]);
    assert.equal(jump.connections().length - jumpBefore, 1, "one connection to the jump");
    assert.equal(target.connections().length - targetBefore, 2, "one per user on the target");
  },
);

test("a wrong host key is refused before authenticating, naming the host and both fingerprints", { skip }, async () => {
  const accepted = () => jump.log.lines.filter((l) => /^(Accepted|Postponed) /.test(l.text)).length;
  const acceptedBefore = accepted();
  const wrong = await client.fails({ op: "connect", conn: connTo(jump, { hostKey: target.hostKeyFingerprint }) });
  assert.equal(
    wrong.error,
    `host key mismatch for ${label(jump)}: expected ${target.hostKeyFingerprint}, got ${jump.hostKeyFingerprint}`,
  );
  assert.equal(accepted(), acceptedBefore, "no key was offered to a host that failed its pin");

  const behind = await client.fails({ op: "connect", conn: viaJump({ hostKey: jump.hostPublicKey }) });
  assert.equal(
    behind.error,
    `host key mismatch for ${label(target)} (via jump ${label(jump)}): expected ${jump.hostKeyFingerprint}, got ${target.hostKeyFingerprint}`,
  );

  const op = await client.fails({
    op: "operation",
    conns: [connTo(jump, { hostKey: target.hostKeyFingerprint })],
    steps: [],
  });
  assert.equal(
    op.error,
    `host ${jump.address}: step 'connect': host key mismatch for ${label(jump)}: expected ${target.hostKeyFingerprint}, got ${jump.hostKeyFingerprint}`,
  );
});

test("insecureIgnoreHostKey connects unverified and warns, naming the host and the key, once", { skip }, async () => {
  // (test 2 connected to jump this way too: the process says it once in all; a pinned connection never)
  const unpinned = connTo(jump, { hostKey: undefined, insecureIgnoreHostKey: true });
  for (const conn of [unpinned, unpinned, connTo(jump)]) await callOk(await connect(conn), "close");
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(await client.stderrLines("lvs: warning: "), [
    `lvs: warning: ${label(jump)}: host key NOT verified (insecureIgnoreHostKey): it presented ${jump.hostKeyFingerprint}, which anyone on the path could have sent; pin it with connection.hostKey or lvs:hostKeys`,
  ]);
});

test("unreachable hosts fail within connectTimeout, naming the host and the step", { skip }, async (t) => {
  const op = (conn: object) => client.fails({ op: "operation", conns: [conn], steps: [] });
  const within = (r: Reply, lo: number, hi: number) =>
    assert.ok(r.ms >= lo && r.ms <= hi, `took ${r.ms} ms, expected ${lo}-${hi}`);

  const dropped = await op(connTo(target, { connectTimeout: 1 }));
  assert.equal(
    dropped.error,
    `host ${target.address}: step 'connect': no SSH session with ${label(target)} within 1 s (handshake timed out)`,
  );
  within(dropped, 950, 1500);

  const nobody = await op({ ...connTo(jump), host: NOBODY, connectTimeout: 1.5 });
  assert.equal(
    nobody.error,
    `host ${NOBODY}: step 'connect': no SSH session with ${NOBODY}:22 within 1.5 s (handshake timed out)`,
  );
  within(nobody, 1450, 2000);

  const refused = await op(connTo(jump, { port: 2999 }));
  assert.equal(
    refused.error,
    `host ${jump.address}: step 'connect': cannot reach ${jump.address}:2999: connection refused (ECONNREFUSED)`,
  );
  within(refused, 0, 500);

  const behindJump = await op(connTo(jump, { host: NOBODY, connectTimeout: 1, jumpHost: connTo(jump) }));
  assert.equal(
    behindJump.error,
    `host ${NOBODY}: step 'connect': no tunnel to ${NOBODY}:22 through jump ${label(jump)} within 1 s`,
  );
  within(behindJump, 950, 1600);
  t.diagnostic(
    `dropped ${dropped.ms} ms, no host ${nobody.ms} ms, refused ${refused.ms} ms, behind jump ${behindJump.ms} ms`,
  );
});

/** PIDs on this machine whose command line is exactly argv. */
function pidsRunning(argv: string[]): number[] {
  const want = `${argv.join("\0")}\0`;
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return readFileSync(`/proc/${n}/cmdline`, "utf8") === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

test(
  "commandTimeout ends a hung command; timeout on the host kills it; the session stays usable",
  { skip },
  async () => {
    const h = await connect(connTo(jump, { commandTimeout: 0.5 }));
    const hung = await call(h, "exec", "sleep 31.7");
    assert.equal(hung.error, `"sleep 31.7" on ${label(jump)}: timed out after 0.5 s`);
    assert.ok(hung.ms >= 480 && hung.ms < 10_000, `took ${hung.ms} ms`);
    assert.equal(await callOk(h, "check", "echo still here"), "still here\n");
    const deadline = Date.now() + 3000;
    while (pidsRunning(["sleep", "31.7"]).length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(pidsRunning(["sleep", "31.7"]), [], "the remote command was killed");
    await callOk(h, "close");
  },
);

const noSudo = !sudoInstalled && "sudo is not installed on this machine (apt-get install sudo)";

test(
  "sudo: a sudoer runs privileged commands and writes root-owned files; a refused sudo names host and step",
  { skip: skip || noSudo },
  async () => {
    const h = await connect(connTo(jump, { user: "lvsudo", sudo: true }));
    assert.equal(await callOk(h, "check", "id -u"), "0\n");
    assert.equal(await callOk(h, "check", "id -un", { sudo: false }), "lvsudo\n");
    const path = `${jump.dir}/by-sudo.conf`; // the directory is root's, mode 755: only root may write
    await callOk(h, "writeFile", path, "x\n", 0o640);
    assert.equal(await callOk(h, "check", `stat -c '%U %a' ${path}`), "root 640\n");
    assert.equal(await callOk(h, "readFile", path), "x\n");
    await callOk(h, "close");

    const steps = [{ host: 0, name: "install agent", method: "check", args: ["true"] }];
    const refused = await client.fails({ op: "operation", conns: [connTo(jump, { user: "lvst", sudo: true })], steps });
    assert.equal(
      refused.error,
      `host ${jump.address}: step 'install agent': sudo refused on ${label(jump)} for user 'lvst': sudo: a password is required`,
    );
  },
);

test("password auth; failed authentication names the user and host, and never a secret", { skip }, async () => {
  const h = await connect({ host: jump.address, user: "lvst", password: PASSWORD, hostKey: jump.hostKeyFingerprint });
  assert.equal(await callOk(h, "check", "id -un"), "lvst\n");
  await callOk(h, "close");

  const wrongPw = await client.fails({
    op: "connect",
    conn: { host: jump.address, user: "lvst", password: `${PASSWORD}x`, hostKey: jump.hostKeyFingerprint },
  });
  assert.equal(wrongPw.error, `authentication failed for user 'lvst' on ${label(jump)} (tried password)`);
  // root may not log in with a password (PermitRootLogin prohibit-password), and a key not authorized fails too.
  const rootPw = await client.fails({
    op: "connect",
    conn: { host: jump.address, password: PASSWORD, hostKey: jump.hostKeyFingerprint },
  });
  assert.equal(rootPw.error, `authentication failed for user 'root' on ${label(jump)} (tried password)`);
  const otherKey = await client.fails({
    op: "connect",
    conn: connTo(jump, { privateKey: target.clientKey.privateKey }),
  });
  assert.equal(otherKey.error, `authentication failed for user 'root' on ${label(jump)} (tried publickey)`);

  const lines = jump.clientKey.privateKey.split("\n");
  const mangled = [lines[0], lines[1]!.slice(0, 20) + "!!" + lines[1]!.slice(22), ...lines.slice(2)].join("\n");
  const badKey = await client.fails({ op: "connect", conn: connTo(jump, { privateKey: mangled, password: PASSWORD }) });
  assert.match(badKey.error, new RegExp(`^SSH connection to ${label(jump)} failed: `));
  for (const r of [wrongPw, rootPw, otherKey, badKey]) {
    for (const secret of [
      PASSWORD,
      ...lines.filter((l) => l.length > 20),
      ...mangled.split("\n").filter((l) => l.length > 20),
    ]) {
      assert.ok(!r.error.includes(secret), `secret in: ${r.error}`);
    }
  }
});

test("a command over 128 KiB (one argument's limit) runs: it goes to the host over stdin", { skip }, async () => {
  const h = await connect(connTo(jump));
  const filler = `# ${"x".repeat(199 * 1024)}\n`;
  assert.equal(await callOk(h, "check", `${filler}echo "$((6*7))"; cat`), "42\n");
  await callOk(h, "close");
});

test("a server allowing one session per connection (MaxSessions 1): every command still runs", { skip }, async () => {
  const s = await startSshd(lab.host("cli"), { port: 2201, extraConfig: ["MaxSessions 1"] });
  try {
    const h = await connect(connTo(s));
    const path = `${s.dir}/one-session.txt`;
    for (let i = 0; i < 3; i++) assert.equal(await callOk(h, "check", `echo ${i}`), `${i}\n`);
    await callOk(h, "writeFile", path, "content\n");
    assert.equal(await callOk(h, "readFile", path), "content\n");
    assert.equal(await callOk(h, "check", "echo last"), "last\n");
    await callOk(h, "close");
  } finally {
    await s.stop();
  }
});

test("setup costs (diagnostic)", { skip }, async (t: TestContext) => {
  const t0 = Date.now();
  const s = await startSshd(lab.host("cli"), { port: 2200 });
  const started = Date.now() - t0;
  await s.stop();
  assert.deepEqual(
    readdirSync("/tmp").filter((n) => n === s.dir.slice(5)),
    [],
    "sshd's directory is removed on stop",
  );
  const c = Date.now();
  const h = await client.request({ op: "connect", conn: connTo(jump) });
  t.diagnostic(`startSshd ${started} ms; connect ${h.ms} ms (measured in the client), ${Date.now() - c} ms round trip`);
  await callOk((h.result as { handle: number }).handle, "close");
});
