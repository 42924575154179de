// SMTP replies as RFC 5321 section 4.2 writes them: one or more lines "CODE-text" ending with a line
// "CODE text" (or just "CODE"), each ended by CRLF. Pure: the checker (smtp.ts) feeds it what it read.

export interface SmtpReply {
  code: number;
  text: string;
}

/**
 * The first complete reply in `buf` and how many bytes it took, or undefined while it is incomplete.
 * A line that is not a reply at all gives code 0, which no check accepts.
 */
export function readReply(buf: string): { reply: SmtpReply; used: number } | undefined {
  let at = 0;
  const text: string[] = [];
  for (;;) {
    const end = buf.indexOf("\n", at);
    if (end < 0) return undefined;
    const line = buf.slice(at, end).replace(/\r$/, "");
    at = end + 1;
    const m = /^(\d{3})([ -]?)(.*)$/.exec(line);
    if (!m) return { reply: { code: 0, text: line.slice(0, 80) }, used: at };
    text.push(m[3]!);
    if (m[2] !== "-") return { reply: { code: Number(m[1]), text: text.join(" ").trim() }, used: at };
  }
}

/** A 2xx reply: what the check expects to the greeting, to HELO and to QUIT. */
export function positive(r: SmtpReply): boolean {
  return r.code >= 200 && r.code <= 299;
}
