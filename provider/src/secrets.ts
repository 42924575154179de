// Secrets on the wire between the engine and the provider (pure). The engine sends a secret input as
// {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: ...}; the provider
// validates and plans on plain values, then wraps the same paths again in what it returns, so a value
// that went in secret never comes back in the clear. Keys that hold credentials (privateKey, password)
// are wrapped wherever they appear, whether or not the program marked them.
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
 * Every string found under the given paths: what a message must never contain. Strings shorter than 3
 * characters are left out: scrubbing them would mangle ordinary words, and they protect nothing.
 */
export function secretTexts(value: unknown, paths: readonly Path[]): string[] {
  const texts = (v: unknown): string[] => {
    if (typeof v === "string") return v.length < 3 ? [] : [v];
    if (Array.isArray(v)) return v.flatMap(texts);
    return isObject(v) ? Object.values(v).flatMap(texts) : [];
  };
  return paths.flatMap((p) => texts(getPath(value, p)));
}

/** Replaces each secret text in a message with [secret]; longest first, so no fragment survives. */
export function scrub(message: string, secrets: readonly string[]): string {
  return [...secrets].sort((a, b) => b.length - a.length).reduce((m, s) => m.split(s).join("[secret]"), message);
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
