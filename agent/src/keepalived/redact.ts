// What a message about an included file may say of it (pure). An include names any path, and a key or
// password file included by mistake was once printed line by line inside "unsupported keyword" errors
// (issue 13). So a message at a line of an included file keeps its file:line and its own words, and
// loses every word of that line that is not a keyword the converter read: an operator opens the file
// at that line to see it. The entry file is the operator's own keepalived.conf and is quoted as ever.
import type { Loc, Token } from "./lexer.ts";

/** What stands where a word of an included file was. */
export const WITHHELD = "<withheld>";

export interface Placed {
  at?: Loc;
  /** `file:line: message` when `at` is set */
  text: string;
}

/**
 * `items` with the words of included files' lines taken out of their messages. `known` are the tokens
 * read as keywords (safe to name); braces are never secret.
 */
export function redactIncluded<T extends Placed>(
  items: readonly T[],
  entry: string,
  tokens: readonly Token[],
  known: ReadonlySet<Token>,
): T[] {
  const words = new Map<string, string[]>();
  for (const t of tokens) {
    if (t.file === entry || known.has(t) || t.text === "{" || t.text === "}" || t.text === "") continue;
    const key = `${t.file}:${t.line}`;
    words.set(key, [...(words.get(key) ?? []), t.text]);
  }
  return items.map((item) => {
    if (!item.at || item.at.file === entry) return item;
    const lineWords = words.get(`${item.at.file}:${item.at.line}`);
    const prefix = `${item.at.file}:${item.at.line}: `;
    if (!lineWords || !item.text.startsWith(prefix)) return item;
    return { ...item, text: prefix + withhold(item.text.slice(prefix.length), lineWords) };
  });
}

/** The message without any of `words`, longest first so that no part of a longer one survives. */
function withhold(message: string, words: readonly string[]): string {
  return [...words].sort((a, b) => b.length - a.length).reduce((m, w) => m.split(w).join(WITHHELD), message);
}
