// The console's CSV export must never hand a spreadsheet a live formula (names are user-chosen in open-join
// contests). This runs the real module from frontend/console/csv.js under node, no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeCell, toCsv } from '../../frontend/console/csv.js';

test('formula-like cells are prefixed with a quote', () => {
  for (const value of ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '=']) {
    assert.equal(safeCell(value), `'${value}`, JSON.stringify(value));
  }
});

test('ordinary text and plain numbers are unchanged', () => {
  for (const value of ['张伟', '刑侦大队', 'A=B', '1-2', '', ' =1', 'x@y', '-2.5', '-12', '+3']) {
    assert.equal(safeCell(value), value, JSON.stringify(value));
  }
  assert.equal(safeCell(7), '7');
  assert.equal(safeCell(null), '');
});

test('a whole CSV: quoted, escaped, neutralized, with a BOM', () => {
  const csv = toCsv([['名次', '姓名'], [1, '=HYPERLINK("x")'], [2, '-1.5']]);
  assert.equal(csv, '\ufeff"名次","姓名"\r\n"1","\'=HYPERLINK(""x"")"\r\n"2","-1.5"');
});
