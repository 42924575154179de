// SMTP_CHECK and DNS_CHECK against real servers on 127.0.0.1 (a few lines of node each): the dialogue
// a mail server answers, one that refuses, one that never greets; a DNS server that answers, one that
// answers NXDOMAIN, one that answers with another id first, and silence.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo, type Server } from "node:net";
import { createSocket, type Socket } from "node:dgram";
import { runHealthCheckOnce } from "../../agent/src/health/checker.ts";
import { AgentHealthCheck } from "../../agent/src/config/agent-checks.ts";

/** An SMTP server that greets with `banner` and answers HELO and QUIT with 250 and 221. */
function smtpServer(banner: string | undefined): Promise<Server> {
  const srv = createServer((sock) => {
    if (banner) sock.write(banner);
    sock.on("data", (d) => {
      const line = d.toString();
      if (line.startsWith("HELO localhost")) sock.write("250-mx.test Hello\r\n250 HELP\r\n");
      else if (line.startsWith("QUIT")) sock.end("221 2.0.0 bye\r\n");
      else sock.write("500 what\r\n");
    });
  });
  return new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve(srv)));
}

/** A DNS server answering each query with `rcode`; `decoy` first sends an answer with another id. */
function dnsServer(rcode: number, decoy = false, silent = false): Promise<Socket> {
  const s = createSocket("udp4");
  s.on("message", (q, from) => {
    if (silent) return;
    const answer = (id: number) => {
      const r = Buffer.from(q);
      r.writeUInt16BE(id, 0);
      r.writeUInt16BE(0x8180 | rcode, 2);
      return r;
    };
    if (decoy) s.send(answer((q.readUInt16BE(0) + 1) & 0xffff), from.port, from.address);
    s.send(answer(q.readUInt16BE(0)), from.port, from.address);
  });
  return new Promise((resolve) => s.bind(0, "127.0.0.1", () => resolve(s)));
}

const servers: { close(): void }[] = [];
const portOf = (s: Server | Socket) => ("address" in s ? (s.address() as AddressInfo).port : 0);
let ok: Server, refusing: Server, mute: Server;

before(async () => {
  [ok, refusing, mute] = await Promise.all([
    smtpServer("220 mx.test ESMTP\r\n"),
    smtpServer("554 no service\r\n"),
    smtpServer(undefined),
  ]);
  servers.push(ok, refusing, mute);
});
after(() => servers.forEach((s) => s.close()));

const smtp = (extra: Record<string, unknown> = {}) =>
  AgentHealthCheck.parse({ type: "smtp", retries: 0, connectTimeout: 0.5, ...extra });

test("SMTP: greeting, HELO and QUIT answered is up; a 554 greeting or none is down", async () => {
  const target = (s: Server) => ({ address: "127.0.0.1", port: portOf(s) });
  const up = await runHealthCheckOnce(smtp(), target(ok));
  assert.deepEqual([up.ok, up.detail], [true, "greeting, HELO and QUIT answered"]);
  const no = await runHealthCheckOnce(smtp(), target(refusing));
  assert.deepEqual([no.ok, no.detail], [false, "greeting answered 554 (no service)"]);
  const silent = await runHealthCheckOnce(smtp(), target(mute));
  assert.deepEqual([silent.ok, silent.detail], [false, "no complete dialogue within 500 ms"]);
  const hosts = smtp({ hosts: [{ port: portOf(ok) }, { port: portOf(refusing) }] });
  const both = await runHealthCheckOnce(hosts, target(ok));
  assert.deepEqual(
    [both.ok, both.detail],
    [false, `127.0.0.1:${portOf(refusing)}: greeting answered 554 (no service)`],
    "every host must answer",
  );
});

test("DNS: an answer with the query's id and NOERROR is up; NXDOMAIN or silence is down", async () => {
  const [good, nx, decoy, silent] = await Promise.all([
    dnsServer(0),
    dnsServer(3),
    dnsServer(0, true),
    dnsServer(0, false, true),
  ]);
  servers.push(good, nx, decoy, silent);
  const dns = AgentHealthCheck.parse({
    type: "dns",
    queryType: "A",
    name: "example.test",
    retries: 0,
    connectTimeout: 0.5,
  });
  const check = (s: Socket) => runHealthCheckOnce(dns, { address: "127.0.0.1", port: portOf(s) });
  assert.deepEqual((await check(good)).ok, true);
  assert.equal((await check(nx)).detail, "answered NXDOMAIN");
  assert.equal((await check(decoy)).ok, true, "another id first is ignored, the real answer counts");
  assert.equal((await check(silent)).detail, "no answer within 500 ms");
});
