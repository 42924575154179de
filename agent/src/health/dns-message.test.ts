import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeQuery, judgeReply } from "./dns-message.ts";

test("a query for matchtv.ru A, byte for byte (RFC 1035 4.1)", () => {
  const q = encodeQuery(0x1234, "matchtv.ru", "A");
  assert.equal(
    q.toString("hex"),
    "1234" + "0100" + "0001" + "0000" + "0000" + "0000" + "076d61746368747602727500" + "0001" + "0001",
  );
  assert.deepEqual(encodeQuery(1, ".", "SOA").subarray(12), Buffer.from([0, 0, 6, 0, 1]));
  assert.deepEqual(encodeQuery(1, "a.example.", "AAAA").subarray(-4), Buffer.from([0, 28, 0, 1]));
});

/** A reply header: id, flags (QR set), rcode, answer count. */
function reply(id: number, rcode: number, answers: number, qr = true): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(id, 0);
  b.writeUInt16BE((qr ? 0x8000 : 0) | 0x0180 | rcode, 2);
  b.writeUInt16BE(answers, 6);
  return b;
}

test("a reply with the query's id and NOERROR is up; an error RCODE is down; others are not the reply", () => {
  assert.deepEqual(judgeReply(reply(7, 0, 2), 7), { ok: true, detail: "answered NOERROR with 2 answers" });
  assert.deepEqual(judgeReply(reply(7, 3, 0), 7), { ok: false, detail: "answered NXDOMAIN" });
  assert.deepEqual(judgeReply(reply(7, 2, 0), 7), { ok: false, detail: "answered SERVFAIL" });
  assert.equal(judgeReply(reply(8, 0, 1), 7), undefined, "another id");
  assert.equal(judgeReply(reply(7, 0, 1, false), 7), undefined, "a query, not a response");
  assert.equal(judgeReply(Buffer.alloc(5), 7), undefined, "too short");
});
