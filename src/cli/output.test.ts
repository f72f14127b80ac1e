import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columnWidths, formatRow, printable } from './output.js';

describe('printable', () => {
  it('shows C0, DEL and C1 control characters as escapes and leaves the rest', () => {
    assert.equal(printable('a\x1b[31mb\x07c\x7fd\x9be'), 'a\\x1b[31mb\\x07c\\x7fd\\x9be');
    assert.equal(printable('line\nnext\ttab\rback'), 'line\\nnext\\ttab\\rback');
    assert.equal(printable('héllo ✓ 日本'), 'héllo ✓ 日本');
  });

  it('table rows are escaped and aligned on the escaped width', () => {
    const rows = [['NAME', 'LABELS'], ['a\x1b[2J', 'x'], ['bbbbbbbbb', 'y']];
    const widths = columnWidths(rows);
    assert.deepEqual(widths, [9, 6]);
    assert.equal(formatRow(rows[1]!, widths), 'a\\x1b[2J    x');
  });
});
