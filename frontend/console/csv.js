// CSV for the exports: every cell quoted, and no cell that a spreadsheet would run as a formula. Open-join
// participants choose their own names, so a name like =HYPERLINK("…") must arrive as text: a cell that starts
// with = + - @, a tab or a carriage return gets a leading ' (spreadsheets show the text as typed). Plain
// numbers such as -2.5 stay numbers. The server's exports use the same rule (src/export.rs, safe_cell).

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** One cell as text that no spreadsheet evaluates. */
export function safeCell(value) {
  const text = String(value ?? '');
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** Rows of cells as CSV (CRLF, every cell quoted), with a BOM so spreadsheets read UTF-8 Chinese text. */
export function toCsv(rows) {
  const quote = (v) => `"${safeCell(v).replace(/"/g, '""')}"`;
  return '\ufeff' + rows.map((row) => row.map(quote).join(',')).join('\r\n');
}
