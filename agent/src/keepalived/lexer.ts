// keepalived.conf tokens, as keepalived 2.x reads them: words separated by whitespace, '{' and '}' always
// tokens of their own (even glued to a word), "double-quoted strings" as one token (a backslash escapes
// the next character), comments from '#' or '!' outside quotes to the end of the line (keepalived.conf(5):
// "can start anywhere in a line"). Every token keeps its file and line.
//
// `include FILE` (and keepalived's variants includer/includem/includew/includeb/includea), the first
// word of a line, is replaced by the tokens of FILE, resolved relative to the including file; a pattern
// with * ? or [..] includes every match in name order (glob.ts). Lines pass through preprocess.ts first
// (`@id` conditional lines, `$NAME=value` definitions and their expansion). Pure: the file system comes
// in through `IncludeIo`.
//
// Includes have limits (INCLUDE_LIMITS), because an include names any path: `/dev/zero` once grew the
// agent to gigabytes, and ten includes a file eight levels deep (10^8 reads) hung it. The I/O shell
// reads regular files only, each at most `fileBytes`; here the files read and their bytes are counted.
import { posix } from "node:path";
import { globPart, isGlob } from "./glob.ts";
import { newDefinitions, preprocessLine, type Definitions, type PreprocessOptions } from "./preprocess.ts";

export interface Loc {
  file: string;
  line: number;
}

export interface Token extends Loc {
  text: string;
  /** written in double quotes: never a keyword, a brace or a comment */
  quoted: boolean;
  /** the first token of its line */
  bol: boolean;
}

export interface Diagnostic extends Loc {
  severity: "error" | "note";
  message: string;
}

export type LexResult = { tokens: Token[]; problems: Diagnostic[] };

export function diagnostic(at: Loc, severity: Diagnostic["severity"], message: string): Diagnostic {
  return { file: at.file, line: at.line, severity, message };
}

/** Tokens of one file's text; `defs` carries parameter definitions and the config id across files. */
export function lex(text: string, file: string, defs: Definitions = newDefinitions()): LexResult {
  const tokens: Token[] = [];
  const problems: Diagnostic[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((raw, i) => {
    const loc = { file, line: i + 1 };
    const out = preprocessLine(raw, loc, defs);
    if (out.note) problems.push(diagnostic(loc, "note", out.note));
    if (out.error) problems.push(diagnostic(loc, "error", out.error));
    lexLine(out.text, loc, tokens, problems);
  });
  return { tokens, problems };
}

function lexLine(src: string, loc: Loc, tokens: Token[], problems: Diagnostic[]): void {
  const first = tokens.length;
  const push = (text: string, quoted: boolean) => tokens.push({ ...loc, text, quoted, bol: tokens.length === first });
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "#" || c === "!") return;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "{" || c === "}") {
      push(c, false);
      i++;
    } else if (c === '"') {
      const q = readQuoted(src, i + 1);
      if (q.end < 0) problems.push(diagnostic(loc, "error", "unterminated quoted string"));
      push(q.text, true);
      i = q.end < 0 ? src.length : q.end + 1;
    } else {
      const m = /^[^\s{}#!"]+/.exec(src.slice(i))![0];
      push(m, false);
      i += m.length;
    }
  }
}

/** The text of a quoted string starting after its opening quote, and the index of its closing quote (-1: none). */
function readQuoted(src: string, from: number): { text: string; end: number } {
  let text = "";
  for (let i = from; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"') return { text, end: i };
    if (c === "\\" && i + 1 < src.length) text += src[++i];
    else text += c;
  }
  return { text, end: -1 };
}

// ---------------------------------------------------------------------------------------------------
// include

export interface IncludeIo {
  /**
   * the file's text; throws (an Error with a `code` such as ENOENT, or a message) when it cannot be
   * read, is not a regular file or is larger than INCLUDE_LIMITS.fileBytes
   */
  read(path: string): string;
  /** names in a directory; [] when it cannot be read */
  list(dir: string): string[];
}

const INCLUDES = new Set(["include", "includer", "includem", "includew", "includeb", "includea"]);
const MAX_DEPTH = 8;

/** The most a keepalived.conf may read, its includes counted in: a real one is far below each. */
export const INCLUDE_LIMITS = {
  /** one file (checked by the reader, before it reads more) */
  fileBytes: 1024 * 1024,
  /** files read, each time it is read (an include repeated in ten places is ten) */
  files: 256,
  /** bytes of all files read */
  totalBytes: 4 * 1024 * 1024,
};

export interface Source {
  tokens: Token[];
  problems: Diagnostic[];
  /** every file read, the entry file first */
  files: string[];
  /** bytes read so far, for INCLUDE_LIMITS.totalBytes */
  bytes: number;
  /** a limit was reached: nothing more is read */
  stopped?: boolean;
}

/** Tokens of `entry` with its includes expanded, recursively (at most 8 deep). */
export function lexFile(entry: string, io: IncludeIo, options: PreprocessOptions = {}): Source {
  const out: Source = { tokens: [], problems: [], files: [], bytes: 0 };
  const defs = newDefinitions(options);
  const text = readOrReport(entry, io, out, undefined);
  if (text !== undefined) expand(lex(text, entry, defs), [entry], { io, defs }, out);
  // A file included in several places says the same of its lines each time it is read: once is enough.
  const seen = new Set<string>();
  out.problems = out.problems.filter((p) => {
    const key = `${p.file}:${p.line}:${p.severity}:${p.message}`;
    return !seen.has(key) && seen.add(key);
  });
  return out;
}

interface Reader {
  io: IncludeIo;
  defs: Definitions;
}

function expand(lexed: LexResult, chain: string[], reader: Reader, out: Source): void {
  const { io, defs } = reader;
  out.problems.push(...lexed.problems);
  const toks = lexed.tokens;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (!(t.bol && !t.quoted && INCLUDES.has(t.text))) {
      out.tokens.push(t);
      continue;
    }
    const args: Token[] = [];
    while (i + 1 < toks.length && !toks[i + 1]!.bol) args.push(toks[++i]!);
    if (args.length !== 1) {
      out.problems.push(diagnostic(t, "error", `'${t.text}' takes one file name, got ${args.length}`));
      continue;
    }
    for (const path of resolveInclude(args[0]!, chain[chain.length - 1]!, io, out)) {
      if (out.stopped) break;
      if (chain.includes(path)) {
        out.problems.push(diagnostic(t, "error", `include of ${path} loops (${[...chain, path].join(" -> ")})`));
        continue;
      }
      if (chain.length >= MAX_DEPTH) {
        out.problems.push(diagnostic(t, "error", `include of ${path} nests deeper than ${MAX_DEPTH} files`));
        continue;
      }
      const text = readOrReport(path, io, out, t);
      if (text !== undefined) expand(lex(text, path, defs), [...chain, path], reader, out);
    }
  }
}

function readOrReport(path: string, io: IncludeIo, out: Source, at: Token | undefined): string | undefined {
  const where = at ?? { file: path, line: 0 };
  if (out.files.length >= INCLUDE_LIMITS.files)
    return limitReached(where, out, `more than ${INCLUDE_LIMITS.files} files`);
  try {
    const text = io.read(path);
    const bytes = out.bytes + Buffer.byteLength(text);
    if (bytes > INCLUDE_LIMITS.totalBytes)
      return limitReached(where, out, `more than ${INCLUDE_LIMITS.totalBytes / 1024 / 1024} MiB in all`);
    out.files.push(path);
    out.bytes = bytes;
    return text;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
    out.problems.push(diagnostic(where, "error", `cannot read ${path}: ${why}`));
    return undefined;
  }
}

/** One error where a limit was reached; nothing more is read after it. */
function limitReached(at: Loc, out: Source, what: string): undefined {
  out.stopped = true;
  out.problems.push(
    diagnostic(
      at,
      "error",
      `includes read ${what} (lvs-agent's limit; check for includes that repeat or nest): nothing more was read`,
    ),
  );
  return undefined;
}

/** The files an include names: relative to the including file's directory; a glob expands in name order. */
function resolveInclude(arg: Token, from: string, io: IncludeIo, out: Source): string[] {
  const path = posix.normalize(posix.isAbsolute(arg.text) ? arg.text : posix.join(posix.dirname(from), arg.text));
  if (!isGlob(path)) return [path];
  const parts = path.split("/").filter((p) => p !== "");
  const patterns = parts.map((p) => (isGlob(p) ? globPart(p) : undefined));
  const bad = patterns.find((g) => g && !g.ok);
  if (bad && !bad.ok) {
    out.problems.push(diagnostic(arg, "error", `include ${arg.text} is not a valid pattern: ${bad.why}`));
    return [];
  }
  let found = [posix.isAbsolute(path) ? "/" : "."];
  parts.forEach((part, i) => {
    const g = patterns[i];
    found = found.flatMap((dir) => (g?.ok ? matching(dir, g.re, io) : [posix.join(dir, part)]));
  });
  if (found.length === 0) out.problems.push(diagnostic(arg, "note", `include ${arg.text} matches no file`));
  return found.map((p) => posix.normalize(p));
}

function matching(dir: string, re: RegExp, io: IncludeIo): string[] {
  return io
    .list(dir)
    .filter((n) => !n.startsWith(".") && re.test(n))
    .sort()
    .map((n) => posix.join(dir, n));
}
