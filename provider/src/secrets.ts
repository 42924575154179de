// Secrets on the wire between the engine and the provider (pure). The engine sends a secret input as
// {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: ...}; the provider
// validates and plans on plain values, then wraps the same paths again in what it returns, so a value
// that went in secret never comes back in the clear. Keys that hold credentials (privateKey, password)
// are wrapped wherever they appear, whether or not the program marked them.
// A Check failure never shows a secret value, nor a part of one (issue 13: an address/prefix marked
// secret came back as its address, which exact scrubbing missed): what scrubbing leaves is tested for
// any run of the secret's characters, and a reason that still shows one is withheld.
// Also here: the engine's placeholder for a value not known yet (preview), which is neither valid nor
// invalid until it is known.

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Property names whose values are always secret. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(["privateKey", "password"]);

export type Path = (string | number)[];
type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function isWrappedSecret(v: unknown): v is { value?: unknown } {
  return isObject(v) && v[SECRET_SIG_KEY] === SECRET_SIG_VALUE;
}

export function wrapSecret(value: unknown): Obj {
  return { [SECRET_SIG_KEY]: SECRET_SIG_VALUE, value };
}

/** The plain value and the paths that arrived secret (a secret inside a secret counts once, outermost). */
export function unwrapSecrets(value: unknown): { value: unknown; secretPaths: Path[] } {
  const secretPaths: Path[] = [];
  const walk = (v: unknown, path: Path, inSecret: boolean): unknown => {
    if (isWrappedSecret(v)) {
      if (!inSecret) secretPaths.push(path);
      return walk(v.value, path, true);
    }
    if (Array.isArray(v)) return v.map((e, i) => walk(e, [...path, i], inSecret));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, [...path, k], inSecret)]));
    return v;
  };
  return { value: walk(value, [], false), secretPaths };
}

/** Paths of SECRET_KEYS properties that hold a value, at any depth. */
export function secretKeyPaths(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((e, i) => secretKeyPaths(e, [...path, i]));
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) =>
    SECRET_KEYS.has(k) && v !== undefined && v !== null ? [[...path, k]] : secretKeyPaths(v, [...path, k]),
  );
}

/** The value with each of `paths` that exists wrapped as a secret (the outermost of nested paths wins). */
export function wrapSecrets(value: unknown, paths: readonly Path[]): unknown {
  const wanted = new Set(paths.map((p) => JSON.stringify(p)));
  const walk = (v: unknown, path: Path): unknown => {
    if (wanted.has(JSON.stringify(path)) && v !== undefined) return wrapSecret(v);
    if (Array.isArray(v)) return v.map((e, i) => walk(e, [...path, i]));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, [...path, k])]));
    return v;
  };
  return walk(value, []);
}

/**
 * Every string and number found under the given paths, in each form a message may quote it: the value,
 * and an address/prefix's address alone (messages about addresses name the address).
 */
export function secretTexts(value: unknown, paths: readonly Path[]): string[] {
  const texts = (v: unknown): string[] => {
    if (typeof v === "string") {
      const cidr = /^(.{3,})\/\d{1,3}$/.exec(v);
      return cidr ? [v, cidr[1]!] : [v];
    }
    if (typeof v === "number") return [String(v)];
    if (Array.isArray(v)) return v.flatMap(texts);
    return isObject(v) ? Object.values(v).flatMap(texts) : [];
  };
  return paths.flatMap((p) => texts(getPath(value, p)));
}

/**
 * Replaces each secret text in a message with [secret]; longest first, so no fragment survives. Texts
 * shorter than 3 characters are left: scrubbing them would mangle ordinary words (safeReason sees them).
 */
export function scrub(message: string, secrets: readonly string[]): string {
  return [...secrets]
    .filter((s) => s.length >= 3)
    .sort((a, b) => b.length - a.length)
    .reduce((m, s) => m.split(s).join("[secret]"), message);
}

/**
 * Whether a message shows any part of a secret: a short one (under 4 characters) as a word of its own,
 * any 4 characters in a row of a longer one, any 6 of one of 16 or more (a key's random text shares
 * 4 characters with ordinary words too often).
 */
export function showsSecret(message: string, secrets: readonly string[]): boolean {
  return secrets.some((s) => {
    if (s.length < 4) return new RegExp(`(^|[^A-Za-z0-9])${escapeRegExp(s)}($|[^A-Za-z0-9])`).test(message);
    const n = s.length < 16 ? 4 : 6;
    for (let i = 0; i + n <= s.length; i++) if (message.includes(s.slice(i, i + n))) return true;
    return false;
  });
}

/** What a Check failure says where the inputs hold secrets: scrubbed, or withheld when scrubbing is not enough. */
export function safeReason(message: string, secrets: readonly string[]): string {
  const scrubbed = scrub(message, secrets);
  return showsSecret(scrubbed, secrets) ? WITHHELD_REASON : scrubbed;
}

export const WITHHELD_REASON =
  "is not valid (the reason is withheld: it would show part of a secret input; check this value where it is set)";

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function getPath(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const seg of path) {
    if (typeof seg === "number" ? !Array.isArray(v) : !isObject(v)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** Paths holding the engine's unknown placeholder. */
export function unknownPaths(value: unknown, path: Path = []): Path[] {
  if (value === UNKNOWN) return [path];
  if (Array.isArray(value)) return value.flatMap((e, i) => unknownPaths(e, [...path, i]));
  return isObject(value) ? Object.entries(value).flatMap(([k, v]) => unknownPaths(v, [...path, k])) : [];
}
