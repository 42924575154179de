// A row of the bad-input table (../bad-inputs.test.ts): where the input goes, the input, and the exact
// lines a user sees for it; and what each area of the table gives: its rows and how it reads an input.
// A contract, pure.
export interface Row<I> {
  where: string;
  input: I;
  expected: string[];
}

export interface Area<I> {
  rows: Row<I>[];
  /** the lines a user is shown for the row's input (nothing when it is accepted) */
  says(row: Row<I>): string[] | Promise<string[]>;
}

/** One place's rows from [input, the one line expected] pairs. */
export function rowsAt<I>(where: string, pairs: ReadonlyArray<readonly [I, string]>): Row<I>[] {
  return pairs.map(([input, line]) => ({ where, input, expected: [line] }));
}
