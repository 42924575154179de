// Random-value generators shared by the fuzz targets (test/helpers/fuzz/*) and their unit tests. Pure and
// deterministic: every value comes from the seeded Rng (test/helpers/prng.ts) handed in.
import { mulberry32, type Rng } from "../prng.ts";

export type { Rng };

export const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, 0, items.length - 1)]!;
export const randomBytes = (rng: Rng, n: number): Buffer => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = int(rng, 0, 255);
  return b;
};
export const randomIp = (rng: Rng): string => Array.from({ length: 4 }, () => int(rng, 0, 255)).join(".");

/**
 * 1,000 to 10,000 times the same element. Rare (HUGE_RATE), as one costs up to a few hundred
 * milliseconds to validate: a million cases still hold a few hundred.
 */
const huge = (rng: Rng, v: unknown): unknown[] => Array<unknown>(int(rng, 1_000, 10_000)).fill(v);
const HUGE_RATE = 1 / 5_000;

/** The Rng of case `index` of a run seeded `seed`: any one case can be replayed alone. */
export function caseRng(seed: number, index: number): Rng {
  return mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

/** Strings that have broken parsers and validators elsewhere: control bytes, shell, paths, huge, numeric-looking. */
export const HOSTILE_STRINGS: readonly string[] = [
  "",
  " ",
  "\0",
  "a\0b",
  "\n",
  "x\r\ny",
  "\t\v\f",
  "$(reboot)",
  "`id`",
  "x; rm -rf /",
  "'\"\\",
  "../../../../etc/passwd",
  "/dev/zero",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "\u202eevil",
  "\ud800",
  "😀",
  "1e309",
  "-0",
  "0x10",
  "NaN",
  "Infinity",
  "99999999999999999999999",
  "10.0.0.1/33",
  "999.1.1.1",
  "::ffff:1.2.3.4",
  "fe80::1%eth0",
  "%n%s%x",
  "${HOME}",
  "{",
  "}",
  "a".repeat(70_000),
  "é".repeat(5_000),
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // the Pulumi engine's "unknown" sentinel
];

/** Numbers at and around the edges of every width and check. */
export const EDGE_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  2,
  7,
  255,
  256,
  65_535,
  65_536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_SAFE_INTEGER + 2,
  1e308,
  0.5,
  1e-9,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  NaN,
  Infinity,
  -Infinity,
];

export function randomString(rng: Rng): string {
  if (rng() < 0.5) return pick(rng, HOSTILE_STRINGS);
  return String.fromCharCode(...Array.from({ length: int(rng, 0, 12) }, () => int(rng, 0, 0x7f)));
}

/** Any JSON-like value (and a few JS-only numbers), at most `depth` levels deep; `keys` are likely field names. */
export function randomJson(rng: Rng, depth = 3, keys: readonly string[] = []): unknown {
  if (depth > 0 && rng() < HUGE_RATE) return huge(rng, randomJson(rng, 0));
  const r = int(rng, 0, depth > 0 ? 8 : 6);
  if (r === 0) return null;
  if (r === 1) return rng() < 0.5;
  if (r === 2) return pick(rng, EDGE_NUMBERS);
  if (r === 3) return int(rng, -1000, 100_000) * (rng() < 0.2 ? 0.25 : 1);
  if (r === 4) return randomString(rng);
  if (r === 5) return randomIp(rng) + (rng() < 0.5 ? `/${int(rng, 0, 40)}` : "");
  if (r === 6) return rng() < 0.5 ? undefined : `x${int(rng, 0, 9)}`;
  if (r === 7) return Array.from({ length: int(rng, 0, 4) }, () => randomJson(rng, depth - 1, keys));
  return randomObject(rng, depth - 1, keys);
}

/** o[key] = value as JSON.parse makes it: an own property, even for "__proto__". */
function setOwn(o: object, key: string | number, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function randomObject(rng: Rng, depth: number, keys: readonly string[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let n = int(rng, 0, 4); n > 0; n--) {
    const key = keys.length > 0 && rng() < 0.7 ? pick(rng, keys) : randomString(rng).slice(0, 40);
    setOwn(o, key, randomJson(rng, depth, keys));
  }
  return o;
}

type Path = (string | number)[];

/** Every path in a JSON value (the root is []), at most `max` of them. */
function paths(v: unknown, max = 400): Path[] {
  const out: Path[] = [[]];
  const walk = (x: unknown, p: Path) => {
    if (out.length >= max || typeof x !== "object" || x === null) return;
    const entries = Array.isArray(x) ? x.slice(0, 50).map((e, i) => [i, e] as const) : Object.entries(x);
    for (const [k, e] of entries) {
      out.push([...p, k]);
      walk(e, [...p, k]);
    }
  };
  walk(v, []);
  return out;
}

type Slot = Record<string | number, unknown>;

/** Number(v), or NaN where Number throws (an object whose toString is no function). */
function asNumber(v: unknown): number {
  try {
    return Number(v);
  } catch {
    return NaN;
  }
}
type Mutation = (rng: Rng, parent: Slot, key: string | number, keys: readonly string[]) => void;

const MUTATIONS: readonly Mutation[] = [
  (rng, o, k, keys) => setOwn(o, k, randomJson(rng, 2, keys)), // any value
  (rng, o, k) => setOwn(o, k, randomString(rng)),
  (rng, o, k) => setOwn(o, k, pick(rng, EDGE_NUMBERS)),
  (_rng, o, k) => (Array.isArray(o) ? o.splice(Number(k), 1) : delete o[k]), // missing field or element
  (rng, o, _k, keys) =>
    setOwn(o, Array.isArray(o) ? o.length : pick(rng, [...keys, "extra", "__proto__"]), randomJson(rng, 1, keys)),
  (_rng, o, k) => setOwn(o, k, [o[k]]), // wrapped
  (_rng, o, k) => setOwn(o, k, typeof o[k] === "number" ? String(o[k]) : asNumber(o[k])), // the other type
  (_rng, o, k) => setOwn(o, k, { value: o[k] }),
  (_rng, o, k) => setOwn(o, k, Array.isArray(o[k]) ? [...(o[k] as unknown[]), ...(o[k] as unknown[])] : o[k]),
  (_rng, o, k) => setOwn(o, k, null),
];

/**
 * A copy of `seed` with 1 to 3 random mutations at random places: wrong types, missing and extra fields,
 * hostile strings, edge numbers, huge arrays (rare). `keys` are field names worth adding.
 */
export function mutateJson(rng: Rng, seed: unknown, keys: readonly string[] = []): unknown {
  const root: Slot = { v: structuredClone(seed) };
  for (let n = int(rng, 1, 3); n > 0; n--) {
    let parent = root;
    let key: string | number = "v";
    for (const seg of pick(rng, paths(root.v))) {
      parent = parent[key] as Slot;
      key = seg;
    }
    if (rng() < HUGE_RATE) setOwn(parent, key, huge(rng, parent[key]));
    else pick(rng, MUTATIONS)(rng, parent, key, keys);
  }
  return root.v;
}

/** Field names found anywhere in `values`, for mutations to add in the wrong places. */
export function fieldNames(...values: unknown[]): string[] {
  const names = new Set<string>();
  const walk = (x: unknown) => {
    if (typeof x !== "object" || x === null) return;
    for (const [k, e] of Object.entries(x)) {
      if (!Array.isArray(x)) names.add(k);
      walk(e);
    }
  };
  values.forEach(walk);
  return [...names];
}
