// keepalived.conf statements from tokens: `keyword args... [{ statements }]`. Pure, and grammar-free:
// which keywords exist is the converter's business, which passes each block's keywords to splitLine.
//
// The rule for where a statement ends:
// - at the end of its line (keepalived's own rule: a keyword takes the rest of its line), or
// - at a '{', which opens the statement's block (also when the '{' is the first token of the next
//   line), or at a '}', which closes the enclosing block;
// - within one line, at the next unquoted word that is a keyword of the same block (splitLine). keepalived
//   itself would read such a line as one keyword with the rest as its arguments; configs copied out of
//   web pages are often flattened onto one line, and splitting at known keywords recovers them.

import { diagnostic, type Diagnostic, type Token } from "./lexer.ts";

export interface Statement {
  keyword: Token;
  args: Token[];
  /** the statements between '{' and '}' when the statement has a block */
  block?: Statement[];
  /** the '{' that opened the block */
  open?: Token;
}

export type ParseResult = { statements: Statement[]; problems: Diagnostic[] };

export function parse(tokens: readonly Token[]): ParseResult {
  const problems: Diagnostic[] = [];
  const state = { i: 0 };
  const statements = parseBlock(tokens, state, problems, undefined);
  return { statements, problems };
}

function parseBlock(
  toks: readonly Token[],
  st: { i: number },
  problems: Diagnostic[],
  open: Statement | undefined,
): Statement[] {
  const body: Statement[] = [];
  while (st.i < toks.length) {
    const t = toks[st.i]!;
    if (isBrace(t, "}")) {
      st.i++;
      if (open) return body;
      problems.push(err(t, "unexpected '}' (no block is open)"));
      continue;
    }
    if (isBrace(t, "{")) {
      st.i++;
      problems.push(err(t, "'{' without a keyword before it"));
      parseBlock(toks, st, problems, { keyword: t, args: [] });
      continue;
    }
    const stmt: Statement = { keyword: t, args: [] };
    st.i++;
    while (st.i < toks.length && !toks[st.i]!.bol && !isBrace(toks[st.i]!)) stmt.args.push(toks[st.i++]!);
    const next = toks[st.i];
    if (next && isBrace(next, "{")) {
      st.i++;
      stmt.open = next;
      stmt.block = parseBlock(toks, st, problems, stmt);
    }
    body.push(stmt);
  }
  if (open) problems.push(err(open.open ?? open.keyword, `'${open.keyword.text}' block has no closing '}'`));
  return body;
}

function isBrace(t: Token, which?: "{" | "}"): boolean {
  return !t.quoted && (which ? t.text === which : t.text === "{" || t.text === "}");
}

function err(t: Token, message: string): Diagnostic {
  return diagnostic(t, "error", message);
}

/**
 * One statement split at every unquoted argument that is a keyword of its block (see the rule above);
 * a block stays with the last part. Returns the statement itself when there is nothing to split.
 */
export function splitLine(stmt: Statement, isKeyword: (word: string) => boolean): Statement[] {
  const out: Statement[] = [{ keyword: stmt.keyword, args: [] }];
  for (const a of stmt.args) {
    if (!a.quoted && isKeyword(a.text)) out.push({ keyword: a, args: [] });
    else out[out.length - 1]!.args.push(a);
  }
  if (out.length === 1) return [stmt];
  const last = out[out.length - 1]!;
  if (stmt.block) Object.assign(last, { block: stmt.block, open: stmt.open });
  return out;
}
