import { test } from "node:test";
import assert from "node:assert/strict";
import { positive, readReply } from "./smtp-reply.ts";

test("a one-line reply, a multi-line reply, and one not yet complete", () => {
  assert.deepEqual(readReply("220 mx.example ESMTP\r\n"), {
    reply: { code: 220, text: "mx.example ESMTP" },
    used: 22,
  });
  const multi = "250-mx.example Hello\r\n250-SIZE 1000\r\n250 HELP\r\n221 bye\r\n";
  const r = readReply(multi)!;
  assert.deepEqual(r.reply, { code: 250, text: "mx.example Hello SIZE 1000 HELP" });
  assert.deepEqual(readReply(multi.slice(r.used))?.reply, { code: 221, text: "bye" });
  assert.equal(readReply("250-mx.example Hello\r\n250 HE"), undefined);
  assert.equal(readReply(""), undefined);
});

test("a line that is no reply reads as code 0; only 2xx is positive", () => {
  assert.equal(readReply("SSH-2.0-OpenSSH_9\r\n")!.reply.code, 0);
  assert.equal(positive({ code: 220, text: "" }), true);
  assert.equal(positive({ code: 421, text: "" }), false);
  assert.equal(positive({ code: 0, text: "" }), false);
});
