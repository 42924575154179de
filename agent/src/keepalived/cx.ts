// The conversion context shared by the keepalived.conf section converters: diagnostics with file:line,
// where each AgentConfig path came from (so the agent's own validation can point back into the file),
// typed argument readers, and the walk of a block through a table of keyword handlers. A keyword that
// is not in the table is an error naming it and its block: nothing is ignored silently.
import { diagnostic, type Diagnostic, type Loc, type Token } from "./lexer.ts";
import { splitLine, type Statement } from "./parser.ts";
import { formatPath, type PathSegment } from "../config/validate.ts";

export interface ConvertOptions {
  /**
   * Absolute path of a command keepalived would find on PATH (scripts and hooks run without a shell
   * or PATH lookup in lvs-agent); undefined when not found. Absent: commands are left as written.
   */
  resolveCommand?: (name: string) => string | undefined;
}

export interface Origin extends Loc {
  /** the keepalived keyword (and name) the value came from, e.g. "priority" or "vrrp_instance VI_1" */
  what: string;
}

export type Handler<D> = (st: Statement, d: D, cx: Cx) => void;
/** `value`: no block; `block`: a block of keywords or of items (one per line) that the handler reads */
export interface Entry<D> {
  kind: "value" | "block";
  run: Handler<D>;
}
export type Table<D> = Record<string, Entry<D>>;

export const value = <D>(run: Handler<D>): Entry<D> => ({ kind: "value", run });
export const block = <D>(run: Handler<D>): Entry<D> => ({ kind: "block", run });
/** Accepted and not applied, with a note saying why (a small documented allow-list). */
export const noted = <D>(why: string, kind: Entry<D>["kind"] = "value"): Entry<D> => ({
  kind,
  run: (st, _d, cx) => cx.note(st.keyword, `'${st.keyword.text}' ${why}`),
});

/** What to do about a keyword lvs-agent does not read. */
export const UNSUPPORTED_FIX = "lvs-agent has no equivalent; remove the line, or keep this part on keepalived";

const BOOL: Record<string, boolean> = { on: true, true: true, yes: true, off: false, false: false, no: false };

export class Cx {
  readonly diagnostics: Diagnostic[] = [];
  readonly origins = new Map<string, Origin>();
  /** the tokens read as keywords: messages may name them even where a file's other words are withheld (redact.ts) */
  readonly known = new Set<Token>();
  private readonly splitLines = new Map<string, { at: Token; words: string[] }>();

  constructor(readonly options: ConvertOptions = {}) {}

  error(at: Loc, message: string): void {
    this.diagnostics.push(diagnostic(at, "error", message));
  }

  note(at: Loc, message: string): void {
    this.diagnostics.push(diagnostic(at, "note", message));
  }

  /** Records that the AgentConfig value at `path` came from `at`. */
  locate(path: readonly PathSegment[], at: Loc, what: string): void {
    this.origins.set(formatPath(path), { file: at.file, line: at.line, what });
  }

  /** The origin of `path` or of its longest located prefix, with how many segments matched. */
  origin(path: readonly PathSegment[]): { origin: Origin; depth: number } | undefined {
    for (let n = path.length; n > 0; n--) {
      const o = this.origins.get(formatPath(path.slice(0, n)));
      if (o) return { origin: o, depth: n };
    }
    return undefined;
  }

  /** Runs each statement of `body` through `table`; `where` names the block in messages ("global_defs", "at the top level"). */
  walk<D>(body: readonly Statement[], table: Table<D>, d: D, where: string): void {
    const known = (w: string) => Object.hasOwn(table, w);
    for (const whole of body) {
      const parts = splitLine(whole, known);
      if (parts.length > 1) this.severalOnOneLine(parts);
      for (const st of parts) this.dispatch(st, table, d, where);
    }
  }

  private dispatch<D>(st: Statement, table: Table<D>, d: D, where: string): void {
    const kw = st.keyword;
    const entry = Object.hasOwn(table, kw.text) && !kw.quoted ? table[kw.text] : undefined;
    if (!entry)
      return this.error(
        kw,
        `unsupported keyword '${kw.text}' ${where.startsWith("at ") ? where : `in ${where}`}: ${UNSUPPORTED_FIX}`,
      );
    this.known.add(kw);
    if (entry.kind === "value" && st.block) return this.error(st.open ?? kw, `'${kw.text}' takes no { } block`);
    if (entry.kind === "block" && !st.block) return this.error(kw, `'${kw.text}' needs a { } block`);
    entry.run(st, d, this);
  }

  /** Lines holding several keywords, noted once each by notes(). */
  private severalOnOneLine(parts: Statement[]): void {
    const first = parts[0]!.keyword;
    const key = `${first.file}:${first.line}`;
    const seen = this.splitLines.get(key) ?? { at: first, words: [] };
    this.splitLines.set(key, seen);
    seen.words.push(...parts.map((p) => p.keyword.text));
  }

  /** Every diagnostic, with one note for each line that held several keywords. */
  finish(): Diagnostic[] {
    for (const { at, words } of this.splitLines.values()) {
      const list = words.length > 6 ? `${words.slice(0, 6).join(", ")}, ... ${words.length} in all` : words.join(", ");
      this.note(
        at,
        `several keywords on one line (${list}): lvs-agent reads each of them; keepalived itself reads only the first keyword after a line start or a brace and takes the rest as its arguments, so keep one keyword per line if keepalived also reads this file`,
      );
    }
    this.splitLines.clear();
    return this.diagnostics;
  }

  // --- arguments --------------------------------------------------------------------------------

  /** The statement's arguments when there are min..max of them; otherwise an error and undefined. */
  args(st: Statement, min: number, max = min): Token[] | undefined {
    const n = st.args.length;
    if (n >= min && n <= max) return st.args;
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min}-${max}`;
    this.error(st.keyword, `'${st.keyword.text}' takes ${want} argument${min === 1 && max === 1 ? "" : "s"}, got ${n}`);
    return undefined;
  }

  /** The one argument. */
  word(st: Statement): string | undefined {
    return this.args(st, 1)?.[0]!.text;
  }

  /** The statement's one argument as a number (a whole number with int). */
  number(st: Statement, opts: { int?: boolean } = {}): number | undefined {
    return this.numberAt(this.args(st, 1)?.[0], st.keyword.text, opts);
  }

  int(st: Statement): number | undefined {
    return this.number(st, { int: true });
  }

  /** Token `t` as a number; `what` names it in the message. Undefined for an absent token. */
  numberAt(t: Token | undefined, what: string, opts: { int?: boolean } = { int: true }): number | undefined {
    if (!t) return undefined;
    const re = opts.int ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
    if (re.test(t.text)) return Number(t.text);
    this.error(t, `'${what}' needs ${opts.int ? "a whole number" : "a number"}, got '${t.text}'`);
    return undefined;
  }

  /** A flag with an optional on|off|true|false|yes|no (keepalived's <BOOL>); absent means on. */
  flag(st: Statement): boolean | undefined {
    const a = this.args(st, 0, 1);
    if (!a) return undefined;
    if (a.length === 0) return true;
    const v = BOOL[a[0]!.text.toLowerCase()];
    if (v === undefined) this.error(a[0]!, `'${st.keyword.text}' takes on|off|true|false|yes|no, got '${a[0]!.text}'`);
    return v;
  }

  /** One of `choices`, case-insensitively, returned as spelt in `choices`. */
  choice<T extends string>(st: Statement, choices: readonly T[]): T | undefined {
    const w = this.word(st);
    if (w === undefined) return undefined;
    const hit = choices.find((c) => c.toLowerCase() === w.toLowerCase());
    if (!hit) this.error(st.args[0]!, `'${st.keyword.text}' takes ${choices.join("|")}, got '${w}'`);
    return hit;
  }

  /**
   * The options after an item's first word (a line in a list block such as virtual_ipaddress): each
   * `name VALUE` with name in `known`. Anything else is an error naming it.
   */
  itemOptions(item: Statement, known: readonly string[], where: string): Map<string, Token> {
    const out = new Map<string, Token>();
    const a = item.args;
    for (let i = 0; i < a.length; i++) {
      const name = a[i]!;
      if (!known.includes(name.text)) {
        // Its value would read as a second unknown option: one error per item.
        this.error(
          name,
          `unsupported option '${name.text}' in ${where}${known.length ? ` (supported: ${known.join(", ")})` : ""}`,
        );
        break;
      } else if (i + 1 >= a.length) this.error(name, `'${name.text}' needs a value in ${where}`);
      else out.set(name.text, a[++i]!);
    }
    return out;
  }

  /**
   * A command line: one quoted argument or several words, joined. A command that is not an absolute
   * path is resolved on PATH as keepalived does, with a note.
   */
  command(st: Statement, args: Token[] = st.args): string | undefined {
    if (args.length === 0) return void this.error(st.keyword, `'${st.keyword.text}' needs a command`);
    const line = args
      .map((a) => a.text)
      .join(" ")
      .trim();
    const [exe = "", ...rest] = line.split(/\s+/);
    if (exe.startsWith("/") || !this.options.resolveCommand) return line;
    const abs = this.options.resolveCommand(exe);
    if (!abs) return line;
    this.note(
      st.keyword,
      `'${st.keyword.text}': ${exe} resolved on PATH to ${abs}, as keepalived does (lvs-agent runs commands without a shell or PATH lookup)`,
    );
    return [abs, ...rest].join(" ");
  }
}

// --- drafts: AgentConfig objects being filled, each with its path ------------------------------

export interface Draft<T> {
  path: PathSegment[];
  v: Partial<T>;
}

/** Sets `key` when `val` is defined, and records where it came from. */
export function put<T, K extends keyof T & string>(
  d: Draft<T>,
  key: K,
  val: T[K] | undefined,
  st: Statement,
  cx: Cx,
): void {
  if (val === undefined) return;
  // keepalived lets the last one win; a repeated setting is more often a mistake than meant.
  const prev = d.v[key] !== undefined ? cx.origin([...d.path, key]) : undefined;
  if (prev && prev.depth === d.path.length + 1) {
    const o = prev.origin;
    return cx.error(
      st.keyword,
      `'${st.keyword.text}' sets what ${o.what === st.keyword.text ? "" : `'${o.what}' at `}${o.file === st.keyword.file ? `line ${o.line}` : `${o.file}:${o.line}`} already set`,
    );
  }
  d.v[key] = val;
  cx.locate([...d.path, key], st.keyword, st.keyword.text);
}

/** `keyword NUMBER` into a number field (a whole number with int). */
export function num<T>(key: keyof T & string, opts: { int?: boolean; scale?: number } = {}): Entry<Draft<T>> {
  return value((st, d, cx) => {
    const n = cx.number(st, opts);
    put(d, key, (n === undefined ? undefined : opts.scale ? Math.round(n * opts.scale) : n) as T[typeof key], st, cx);
  });
}

/** `keyword WORD` into a string field. */
export function str<T>(key: keyof T & string): Entry<Draft<T>> {
  return value((st, d, cx) => put(d, key, cx.word(st) as T[typeof key], st, cx));
}

/** A flag (`keyword [<BOOL>]`) into a boolean field; `invert` for keywords like nopreempt. */
export function flag<T>(key: keyof T & string, invert = false): Entry<Draft<T>> {
  return value((st, d, cx) => {
    const b = cx.flag(st);
    put(d, key, (b === undefined ? undefined : b !== invert) as T[typeof key], st, cx);
  });
}

/**
 * Layers of settings merged into one object at `path`, later layers winning (keepalived's checker
 * options given on the virtual server, then the real server, then the checker), each value keeping
 * the origin it had in its layer.
 */
export function layered<T>(cx: Cx, path: readonly PathSegment[], layers: readonly Draft<T>[]): Partial<T> {
  const out: Partial<T> = {};
  for (const layer of layers) {
    for (const key of Object.keys(layer.v) as (keyof T & string)[]) {
      out[key] = layer.v[key];
      const o = cx.origin([...layer.path, key]);
      if (o && o.depth === layer.path.length + 1) cx.locate([...path, key], o.origin, o.origin.what);
    }
  }
  return out;
}
