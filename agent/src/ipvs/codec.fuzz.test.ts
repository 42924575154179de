// Fuzz of the IPVS netlink reply decoders (pure, deterministic): the replies of test/helpers/fuzz/netlink.ts
// (valid ones from the codec's encoders, damaged at the attribute and byte level), the same generators as
// `npm run bench -- fuzz`. A refusal is an NlaError with a message; a decoded reply holds real addresses.
// Below, the findings the fuzz made, each a test that failed before its fix.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertFuzz } from "../../../test/helpers/fuzz/check.ts";
import { netlinkTarget } from "../../../test/helpers/fuzz/netlink.ts";
import {
  decodeDaemon,
  decodeDest,
  decodeService,
  IpvsCodecError,
  IPVS_CMD_ATTR,
  IPVS_DAEMON_ATTR as DAEMON,
  IPVS_DEST_ATTR as DEST,
  IPVS_SVC_ATTR,
} from "./codec.ts";
import { be16, nest, nla, str, u16, u32 } from "./nla.ts";

test("fuzz: 4,000 damaged IPVS replies decode or are refused with an NlaError", () => {
  assertFuzz(netlinkTarget, { cases: 4_000, seed: 0x1ba5, kinds: 30 });
});

const service = (over: Record<number, Buffer>) => {
  const attrs: Record<number, Buffer> = {
    [IPVS_SVC_ATTR.AF]: u16(IPVS_SVC_ATTR.AF, 2),
    [IPVS_SVC_ATTR.PROTOCOL]: u16(IPVS_SVC_ATTR.PROTOCOL, 6),
    [IPVS_SVC_ATTR.ADDR]: nla(IPVS_SVC_ATTR.ADDR, Buffer.alloc(16, 10)),
    [IPVS_SVC_ATTR.PORT]: be16(IPVS_SVC_ATTR.PORT, 80),
    [IPVS_SVC_ATTR.SCHED_NAME]: str(IPVS_SVC_ATTR.SCHED_NAME, "wlc"),
    [IPVS_SVC_ATTR.FLAGS]: nla(IPVS_SVC_ATTR.FLAGS, Buffer.alloc(8)),
    [IPVS_SVC_ATTR.TIMEOUT]: u32(IPVS_SVC_ATTR.TIMEOUT, 0),
    [IPVS_SVC_ATTR.NETMASK]: nla(IPVS_SVC_ATTR.NETMASK, Buffer.from([255, 255, 255, 255])),
    ...over,
  };
  return nest(IPVS_CMD_ATTR.SERVICE, Object.values(attrs));
};

test("a service reply is well formed: the base the findings below damage", () => {
  assert.equal(decodeService(service({})).service.scheduler, "wlc");
});

test("finding: a port, flags or netmask attribute shorter than its width is an IpvsCodecError (was a RangeError)", () => {
  for (const [type, what] of [
    [IPVS_SVC_ATTR.PORT, /service port: 1 bytes, expected 2/],
    [IPVS_SVC_ATTR.FLAGS, /service flags: 1 bytes, expected 4/],
    [IPVS_SVC_ATTR.NETMASK, /netmask: 1 bytes, expected 4/],
  ] as const)
    assert.throws(
      () => decodeService(service({ [type]: nla(type, Buffer.alloc(1)) })),
      (err: Error) => {
        assert.ok(err instanceof IpvsCodecError, `${err.name}: ${err.message}`);
        assert.match(err.message, what);
        return true;
      },
    );
});

test("finding: an IPv4 address of fewer than 4 bytes is refused (was decoded as 10.10.undefined.undefined)", () => {
  assert.throws(() => decodeService(service({ [IPVS_SVC_ATTR.ADDR]: nla(IPVS_SVC_ATTR.ADDR, Buffer.alloc(2, 10)) })), {
    name: "IpvsCodecError",
    message: "IPv4 address of 2 bytes",
  });
  const daemon = nest(IPVS_CMD_ATTR.DAEMON, [
    u32(DAEMON.STATE, 1),
    str(DAEMON.MCAST_IFN, "eth0"),
    u32(DAEMON.SYNC_ID, 1),
    nla(DAEMON.MCAST_GROUP, Buffer.alloc(1)),
  ]);
  assert.throws(() => decodeDaemon(daemon), { name: "IpvsCodecError", message: "IPv4 address of 1 bytes" });
});

test("finding: a dest's short port is an IpvsCodecError (was a RangeError)", () => {
  const dest = nest(IPVS_CMD_ATTR.DEST, [
    nla(DEST.ADDR, Buffer.alloc(16, 10)),
    nla(DEST.PORT, Buffer.alloc(1)),
    u32(DEST.FWD_METHOD, 3),
    u32(DEST.WEIGHT, 1),
    u32(DEST.U_THRESH, 0),
    u32(DEST.L_THRESH, 0),
  ]);
  assert.throws(() => decodeDest(dest), { name: "IpvsCodecError", message: "dest port: 1 bytes, expected 2" });
});
