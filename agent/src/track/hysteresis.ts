// Rise/fall hysteresis for track scripts (keepalived vrrp_script rise/fall): a flapping check must not
// flap mastership. Pure, so the counting rules are unit-tested without spawning anything.

export interface Hysteresis {
  /** undefined until the first result */
  up: boolean | undefined;
  /** consecutive results that disagree with `up` */
  against: number;
}

export const INITIAL_HYSTERESIS: Hysteresis = { up: undefined, against: 0 };

export interface Thresholds {
  /** consecutive successes that bring a down script up */
  rise: number;
  /** consecutive failures that bring an up script down */
  fall: number;
}

/**
 * The state after one more result. The first result decides at once, as keepalived does: waiting
 * `rise` runs at start-up would hold a healthy director out of mastership for no reason. After that, the
 * state flips only after `rise` (or `fall`) results in a row against it; one agreeing result resets.
 */
export function observe(state: Hysteresis, ok: boolean, t: Thresholds): Hysteresis {
  if (state.up === undefined) return { up: ok, against: 0 };
  if (ok === state.up) return { up: state.up, against: 0 };
  const against = state.against + 1;
  const needed = state.up ? t.fall : t.rise;
  return against >= needed ? { up: ok, against: 0 } : { up: state.up, against };
}
