// One path component of a keepalived `include` pattern as a RegExp, as glob(3) reads it: `*` any run,
// `?` one character, `[...]` a class (`[!...]` or `[^...]` negated, a `]` first is a member). Pure.
// A pattern that is not valid (a `[` never closed) is an answer, not an exception: a pattern comes from
// a file an operator edits, and a throw here once crashed a running agent on reload (issue 13).

export type GlobResult = { ok: true; re: RegExp } | { ok: false; why: string };

/** Whether a path component holds glob characters at all. */
export function isGlob(part: string): boolean {
  return /[*?[]/.test(part);
}

export function globPart(part: string): GlobResult {
  let out = "";
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const cls = bracket(part, i);
      if (!cls) return { ok: false, why: `'[' at character ${i + 1} is never closed by ']'` };
      out += cls.re;
      i = cls.end;
    } else out += escape(c);
  }
  try {
    return { ok: true, re: new RegExp(`^${out}$`) };
  } catch (err) {
    // What the translation cannot rule out, such as a range out of order ([z-a]).
    return { ok: false, why: (err as Error).message.replace(/^Invalid regular expression: /, "") };
  }
}

/** The class opened at `open`, as RegExp source, and the index of its closing ']'; undefined if unclosed. */
function bracket(part: string, open: number): { re: string; end: number } | undefined {
  let i = open + 1;
  const negated = part[i] === "!" || part[i] === "^";
  if (negated) i++;
  const first = i;
  let body = "";
  for (; i < part.length; i++) {
    const c = part[i]!;
    if (c === "]" && i > first) return { re: `[${negated ? "^" : ""}${body}]`, end: i };
    // Inside a RegExp class only these mean something; '-' keeps its range meaning, as in glob(3).
    body += c === "\\" || c === "]" || c === "[" || c === "^" ? `\\${c}` : c;
  }
  return undefined;
}

function escape(c: string): string {
  return /[.+^${}()|\\\]]/.test(c) ? `\\${c}` : c;
}
