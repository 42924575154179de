// Every fuzz target of `npm run bench -- fuzz`, by name, built on demand (the keepalived one reads its
// seed corpus when built). Pure but for those reads.
import { netlinkTarget } from "./netlink.ts";
import { keepalivedTarget, readSeeds } from "./keepalived.ts";
import { agentConfigTarget, clusterSpecTarget, resourceCheckTarget } from "./validation.ts";
import { vrrpTarget } from "./vrrp.ts";
import type { FuzzTarget } from "./harness.ts";

/** Dearest first, so that targets run side by side finish close together. */
export const FUZZ_TARGETS = [
  "keepalived",
  "provider-check",
  "agent-config",
  "cluster-spec",
  "netlink",
  "vrrp",
] as const;
export type FuzzTargetName = (typeof FUZZ_TARGETS)[number];

/** `corpus`: the directory of real keepalived.conf files the keepalived target slices and damages. */
export function fuzzTarget(name: FuzzTargetName, corpus: string): FuzzTarget<unknown> {
  const targets: Record<FuzzTargetName, () => FuzzTarget<unknown>> = {
    vrrp: () => erased(vrrpTarget),
    netlink: () => erased(netlinkTarget),
    keepalived: () => erased(keepalivedTarget(readSeeds(corpus))),
    "agent-config": agentConfigTarget,
    "cluster-spec": clusterSpecTarget,
    "provider-check": () => erased(resourceCheckTarget()),
  };
  return targets[name]();
}

/** A target's case type forgotten: it only ever gets the cases its own generate made. */
const erased = <I>(t: FuzzTarget<I>): FuzzTarget<unknown> => t as unknown as FuzzTarget<unknown>;
