// use_vmac and vmac_xmit_base into an instance's vmac, and what lvs-agent refuses of them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { instance, okConfig, problemsOf } from "./test-helpers.ts";

test("use_vmac NAME with vmac_xmit_base: the instance's vmac, in either order; keepalived's default name vrrp.<VRID>", () => {
  const named = okConfig(instance(" use_vmac private\n vmac_xmit_base", "VI_1", 51)).config;
  assert.deepEqual(named.instances.VI_1!.vmac, { name: "private" });
  const dflt = okConfig(instance(" vmac_xmit_base\n use_vmac", "VI_1", 51)).config;
  assert.deepEqual(dflt.instances.VI_1!.vmac, { name: "vrrp.51" });
  assert.equal(okConfig(instance("")).config.instances.VI_1!.vmac, undefined);
});

test("what cannot run as written is refused at its line, naming the fix", () => {
  assert.deepEqual(problemsOf(instance(" use_vmac")), [
    "k.conf:7: use_vmac without vmac_xmit_base sends adverts from the vmac itself, which lvs-agent does not do yet: add vmac_xmit_base (adverts from the base interface, as keepalived recommends)",
  ]);
  assert.deepEqual(problemsOf(instance(" use_vmac vm0 00:00:5e:00:01:01\n vmac_xmit_base")), [
    "k.conf:7: 'use_vmac' takes 0-1 arguments, got 2",
  ]);
  assert.deepEqual(problemsOf(instance(" use_vmac 00:00:5e:00:01:01\n vmac_xmit_base")), [
    "k.conf:7: use_vmac takes an interface name, got '00:00:5e:00:01:01': lvs-agent (as keepalived 2.2.7) gives the vmac the VRRP virtual MAC 00:00:5e:00:01:<VRID>; remove the MAC",
  ]);
  assert.deepEqual(problemsOf(instance(" use_vmac eth0\n vmac_xmit_base")), [
    "k.conf:7: use_vmac eth0 is the instance's own interface: name the vmac something else",
  ]);
  assert.deepEqual(problemsOf(instance(" vmac_xmit_base")), [
    "k.conf:7: vmac_xmit_base without use_vmac does nothing: add use_vmac or remove the line",
  ]);
});
