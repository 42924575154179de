// Where a JSON text goes wrong, as line:column. V8's JSON.parse messages give no position for some
// errors and quote the surrounding source for others, and the source may hold a VRRP password, so we
// locate the error ourselves and describe it without quoting anything. Pure.

export interface JsonErrorLocation {
  line: number;
  column: number;
  reason: string;
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (err) {
    // Not a syntax error: nesting deep enough to overflow our stack. Say nothing rather than crash.
    if (!(err instanceof JsonSyntax)) return undefined;
    return { ...lineColumn(text, err.offset), reason: err.reason };
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastNl = before.lastIndexOf("\n");
  return { line: before.split("\n").length, column: offset - lastNl };
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** A validating recursive-descent scanner for RFC 8259 JSON; builds no values. */
class Scanner {
  private i = 0;

  constructor(private readonly s: string) {}

  document(): void {
    this.value();
    this.ws();
    if (this.i < this.s.length) this.fail("unexpected text after the end of the JSON value");
  }

  private value(): void {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
    for (const word of ["true", "false", "null"])
      if (this.s.startsWith(word, this.i)) return void (this.i += word.length);
    this.fail(
      c === undefined
        ? "unexpected end of input: expected a value"
        : "expected a value (object, array, string, number, true, false or null)",
    );
  }

  private object(): void {
    this.i++;
    this.ws();
    if (this.eat("}")) return;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expected a double-quoted property name");
      this.string();
      this.ws();
      if (!this.eat(":")) this.fail("expected ':' after a property name");
      this.value();
      this.ws();
      if (this.eat("}")) return;
      if (!this.eat(",")) this.fail("expected ',' or '}' after a property value");
    }
  }

  private array(): void {
    this.i++;
    this.ws();
    if (this.eat("]")) return;
    for (;;) {
      this.value();
      this.ws();
      if (this.eat("]")) return;
      if (!this.eat(",")) this.fail("expected ',' or ']' after an array element");
    }
  }

  private string(): void {
    this.i++;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) this.fail("unterminated string");
      if (c === '"') return void this.i++;
      if (c < " ") this.fail("control character in a string (escape newlines and tabs)");
      if (c === "\\") this.escape();
      else this.i++;
    }
  }

  private escape(): void {
    const e = this.s[this.i + 1];
    if (e !== undefined && '"\\/bfnrt'.includes(e)) return void (this.i += 2);
    if (e === "u" && /^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) return void (this.i += 6);
    this.fail("bad escape sequence in a string");
  }

  private number(): void {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail("bad number");
    this.i += m[0].length;
  }

  private ws(): void {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i]!)) this.i++;
  }

  private eat(c: string): boolean {
    if (this.s[this.i] !== c) return false;
    this.i++;
    return true;
  }

  private fail(reason: string): never {
    throw new JsonSyntax(this.i, reason);
  }
}
