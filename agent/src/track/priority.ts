// Effective VRRP priority from the tracked objects, with keepalived's semantics so configs translated
// from keepalived.conf fail over the same way.

export interface TrackInput {
  up: boolean;
  /** absent or 0: the object going down puts the instance in FAULT (keepalived's "no weight") */
  weight?: number;
}

export interface EffectivePriority {
  priority: number;
  /** a weightless tracked object is down: the instance must go to FAULT whatever its priority */
  fault: boolean;
}

/** RFC 5798: 255 is reserved for the address owner, 0 for "master is leaving". */
export const OWNER_PRIORITY = 255;
const MIN_PRIORITY = 1;
const MAX_BACKUP_PRIORITY = 254;

/**
 * keepalived semantics: a positive weight is added while its object is up, a negative weight while it is
 * down; the sum is clamped to 1..254 so weights can never make a router claim ownership or resign.
 * An owner (255) ignores weights (keepalived warns and does the same): it owns the address, so only a
 * fault can take mastership away from it.
 */
export function effectivePriority(base: number, tracks: readonly TrackInput[]): EffectivePriority {
  const fault = tracks.some((t) => !t.up && !t.weight);
  if (base === OWNER_PRIORITY) return { priority: OWNER_PRIORITY, fault };
  const delta = tracks.reduce((sum, t) => sum + weightContribution(t), 0);
  return { priority: clamp(base + delta, MIN_PRIORITY, MAX_BACKUP_PRIORITY), fault };
}

function weightContribution(t: TrackInput): number {
  const w = t.weight ?? 0;
  if (w > 0 && t.up) return w;
  if (w < 0 && !t.up) return w;
  return 0;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
