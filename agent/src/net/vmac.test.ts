import { test } from "node:test";
import assert from "node:assert/strict";
import { macBytes, macvlanLinkInfo, vmacAddress, vmacSysctls, withVmacDevices } from "./vmac.ts";

test("the IPv4 virtual router MAC of a VRID (RFC 5798 7.3)", () => {
  assert.equal(vmacAddress(51), "00:00:5e:00:01:33");
  assert.equal(vmacAddress(1), "00:00:5e:00:01:01");
  assert.equal(vmacAddress(255), "00:00:5e:00:01:ff");
  assert.throws(() => vmacAddress(0), /VRID 0/);
  assert.deepEqual([...macBytes("00:00:5e:00:01:33")], [0, 0, 0x5e, 0, 1, 0x33]);
});

test("IFLA_LINKINFO for a private macvlan, as iproute2 encodes `type macvlan mode private`", () => {
  // strace of iproute2: [{nla_len=11, IFLA_INFO_KIND} "macvlan"], [{nla_len=12, IFLA_INFO_DATA} {MODE 1}]
  const hex = "0b0001006d6163766c616e00" + "0c000200" + "0800010001000000";
  assert.equal(macvlanLinkInfo().toString("hex"), hex);
});

test("vmac sysctls: ARP for the VIPs answered by the vmac only", () => {
  assert.deepEqual(vmacSysctls("vrrp.51", "eth0"), {
    "net.ipv4.conf.vrrp/51.arp_ignore": 1,
    "net.ipv4.conf.vrrp/51.accept_local": 1,
    "net.ipv4.conf.vrrp/51.rp_filter": 0,
    "net.ipv4.conf.vrrp/51.promote_secondaries": 1,
    "net.ipv4.conf.eth0.arp_ignore": 1,
    "net.ipv4.conf.eth0.arp_filter": 1,
  });
});

test("with use_vmac, addresses without a dev live on the vmac; a dev given stays", () => {
  const cfg = {
    interface: "eth0",
    vmac: { name: "private" },
    virtualAddresses: [{ address: "1.2.3.4/16" }, { address: "10.0.0.1/24", device: "eth1" }],
  };
  assert.deepEqual(withVmacDevices(cfg).virtualAddresses, [
    { address: "1.2.3.4/16", device: "private" },
    { address: "10.0.0.1/24", device: "eth1" },
  ]);
  const plain = { interface: "eth0", virtualAddresses: [{ address: "1.2.3.4" }] };
  assert.equal(withVmacDevices(plain), plain);
});
