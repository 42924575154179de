// routeMessage: the rtnetlink body of a route, as `ip route add` sends it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeRoute, routeMessage } from "./route.ts";

test("a default route via a gateway: universe scope, main table, no RTA_DST", () => {
  const m = routeMessage({ to: "default", via: "10.103.0.254", device: "eth2", type: "unicast" }, 7);
  assert.deepEqual(m.data, { family: 2, dstLen: 0, table: 254, protocol: 3, scope: 0, type: 1 });
  assert.deepEqual(m.attrs, { gateway: Buffer.from([10, 103, 0, 254]), oif: 7 });
});

test("a link route with src and metric; a table past 255 goes in RTA_TABLE; blackhole type", () => {
  const link = routeMessage({ to: "82.94.225.0/24", src: "82.94.225.89", metric: 5, type: "unicast" }, 3);
  assert.deepEqual(link.data, { family: 2, dstLen: 24, table: 254, protocol: 3, scope: 253, type: 1 });
  assert.deepEqual(link.attrs, {
    dst: Buffer.from([82, 94, 225, 0]),
    oif: 3,
    prefsrc: Buffer.from([82, 94, 225, 89]),
    priority: 5,
  });
  const big = routeMessage({ to: "10.0.0.0/8", via: "10.0.0.1", table: 1000, type: "unicast" }, undefined);
  assert.deepEqual([big.data.table, big.attrs.table], [0, 1000]);
  assert.equal(routeMessage({ to: "192.0.2.0/24", type: "blackhole" }, undefined).data.type, 6);
  assert.equal(describeRoute({ to: "192.0.2.0/24", type: "blackhole" }), "blackhole 192.0.2.0/24");
});
