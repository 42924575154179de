// A virtual server's quorum state, keepalived's way (check/ipwrapper.c): the quorum is the sum of the
// weights of the live real servers; it is gained when that sum reaches quorum + hysteresis and lost
// when it falls below quorum - hysteresis (or to 0). The state starts from the weights at start without
// a transition (keepalived runs no quorum_up/quorum_down then either); later crossings are transitions,
// for which the quorumUp/quorumDown scripts run (quorum-scripts.ts). Pure.
import type { VirtualServerConfig } from "../config/ipvs.ts";

export interface QuorumRule {
  quorum: number;
  hysteresis: number;
}

/**
 * The rule a virtual server has, if any: an explicit quorum, or keepalived's default of 1 when it only
 * names quorum scripts. A hysteresis not below the quorum counts as 0, as keepalived resets it.
 */
export function quorumRule(
  vs: Pick<VirtualServerConfig, "quorum" | "hysteresis" | "quorumUp" | "quorumDown">,
): QuorumRule | undefined {
  if (vs.quorum === undefined && vs.quorumUp === undefined && vs.quorumDown === undefined) return undefined;
  const quorum = vs.quorum ?? 1;
  const h = vs.hysteresis ?? 0;
  return { quorum, hysteresis: h < quorum ? h : 0 };
}

/** The state at start, or for a virtual server just configured: up when the live weight clears the bar. */
export function initialQuorum(liveWeight: number, rule: QuorumRule): boolean {
  return liveWeight >= rule.quorum + rule.hysteresis;
}

/** The state after the live weight changed to `liveWeight`, from `up`. */
export function nextQuorum(up: boolean, liveWeight: number, rule: QuorumRule): boolean {
  if (!up) return liveWeight >= rule.quorum + rule.hysteresis;
  return !(liveWeight === 0 || liveWeight < rule.quorum - rule.hysteresis);
}

export interface QuorumChange {
  name: string;
  up: boolean;
  liveWeight: number;
}

/**
 * One step for every virtual server with a rule: the new states (names without a rule left out) and
 * the transitions from `prev`. A name not in `prev` starts at its initial state, without a transition.
 */
export function stepQuorums(
  prev: ReadonlyMap<string, boolean>,
  rules: ReadonlyMap<string, { rule: QuorumRule; liveWeight: number }>,
): { states: Map<string, boolean>; changes: QuorumChange[] } {
  const states = new Map<string, boolean>();
  const changes: QuorumChange[] = [];
  for (const [name, { rule, liveWeight }] of rules) {
    const was = prev.get(name);
    const up = was === undefined ? initialQuorum(liveWeight, rule) : nextQuorum(was, liveWeight, rule);
    states.set(name, up);
    if (was !== undefined && was !== up) changes.push({ name, up, liveWeight });
  }
  return { states, changes };
}
