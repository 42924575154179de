// keepalived.conf lines before they are split into words, as keepalived 2.x treats them (its -i/--config-id):
// - `@ID rest`: the rest is read only when ID is this host's config id; `@^ID rest` only when it is not.
//   keepalived's config id defaults to the host name; lvs-agent's `--config-id` sets it as `-i` does.
// - `$NAME=value` defines a parameter (keepalived: "$NAME=" at the start of a line); `$NAME` and
//   `${NAME}` later on any line are replaced by its value. `${_PWD}` is the directory of the file being
//   read (keepalived's builtin). A name that is not defined is left as written, as keepalived leaves it.
// Pure: the state (definitions so far) is threaded through the files in the order they are read.
import { posix } from "node:path";

/** Where a line is: the lexer passes its own Loc. */
interface Loc {
  file: string;
  line: number;
}

export interface PreprocessOptions {
  /** this host's config id (keepalived -i); undefined: no `@` line matches, `@^` lines all do */
  configId?: string;
}

export interface Definitions {
  readonly vars: Map<string, string>;
  readonly configId: string | undefined;
}

export function newDefinitions(options: PreprocessOptions = {}): Definitions {
  return { vars: new Map(), configId: options.configId };
}

/** What one source line becomes: text to tokenize (possibly ""), plus a note or an error about it. */
export interface LineOutcome {
  text: string;
  note?: string;
  error?: string;
}

const CONDITIONAL = /^(\s*)@(\^?)([^\s]+)(\s+|$)/;
const DEFINITION = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** One line of `at.file` after conditionals, definitions and expansion; `defs` takes new definitions. */
export function preprocessLine(src: string, at: Loc, defs: Definitions): LineOutcome {
  const cond = CONDITIONAL.exec(src);
  if (cond) {
    const [whole, , negated, id] = cond as unknown as [string, string, string, string];
    const matches = defs.configId !== undefined && id === defs.configId;
    if (matches === (negated === "^")) return { text: "", note: skippedNote(negated === "^", id!, defs.configId) };
    src = src.slice(whole.length);
  }
  const def = DEFINITION.exec(src);
  if (def) return define(def[1]!, stripComment(def[2]!).trim(), defs);
  return { text: expand(src, at, defs) };
}

function skippedNote(negated: boolean, id: string, configId: string | undefined): string {
  const mine = configId === undefined ? "no config id is set" : `this host's config id is '${configId}'`;
  return negated
    ? `line skipped: '@^${id}' excludes config id '${id}', which is this host's (keepalived -i; lvs-agent --config-id)`
    : `line skipped: it is for config id '${id}' and ${mine} (keepalived -i, which defaults to the host name; lvs-agent --config-id)`;
}

function define(name: string, value: string, defs: Definitions): LineOutcome {
  if (value.startsWith("{"))
    return {
      text: "",
      error: `$${name}={ ... }: multi-line parameter definitions are not supported; define one line each ($NAME=value)`,
    };
  defs.vars.set(name, value);
  return { text: "" };
}

/** `$NAME` and `${NAME}` replaced by their values; `${_PWD}` by the file's directory. */
export function expand(src: string, at: Loc, defs: Definitions): string {
  if (!src.includes("$")) return src;
  return src.replace(REFERENCE, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    if (name === "_PWD") return posix.dirname(at.file);
    return defs.vars.get(name) ?? whole;
  });
}

/** The text before a '#' or '!' comment that is outside double quotes. */
function stripComment(s: string): string {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === "#" || c === "!")) return s.slice(0, i);
  }
  return s;
}
