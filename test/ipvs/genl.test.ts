// IpvsClient on the host: this kernel has no IPVS, and the client must say so plainly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { IPVS_UNAVAILABLE, IpvsClient } from "../../agent/src/ipvs/genl.ts";

test(
  "open() without IPVS in the kernel: an error that says how to fix it",
  { skip: existsSync("/proc/net/ip_vs") ? "this kernel has IPVS (the UML tests cover it)" : false },
  async () => {
    await assert.rejects(IpvsClient.open(), (err: Error) => err.message === IPVS_UNAVAILABLE);
    assert.match(IPVS_UNAVAILABLE, /modprobe ip_vs/);
  },
);
