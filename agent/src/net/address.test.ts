// The pure part of address.ts: the broadcast address keepalived's `brd +` asks for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { broadcastOf } from "./address.ts";

test("broadcastOf: host bits all ones, as `ip addr add ... brd +`", () => {
  assert.equal(broadcastOf("193.150.124.9/24"), "193.150.124.255");
  assert.equal(broadcastOf("10.1.2.3/8"), "10.255.255.255");
  assert.equal(broadcastOf("10.1.2.3/32"), "10.1.2.3");
  assert.equal(broadcastOf("10.1.2.3/31"), "10.1.2.3");
  assert.equal(broadcastOf("0.0.0.0/0"), "255.255.255.255");
});
