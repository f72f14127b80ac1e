import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { warningTexts } from './warnings.js';

describe('warningTexts', () => {
  const cases: [string, string, string[]][] = [
    ['one warning', '199 drover "stale: the store has been unreachable since 2030-01-02T03:04:05.000Z; this answer may be out of date"', ['stale: the store has been unreachable since 2030-01-02T03:04:05.000Z; this answer may be out of date']],
    ['two joined by a comma, one with a date', '199 drover "a, b", 299 - "c" "Wed, 21 Oct 2015 07:28:00 GMT"', ['a, b', 'c']],
    ['escaped quotes', '199 drover "say \\"hi\\""', ['say "hi"']],
    ['not in the RFC form', 'something odd ', ['something odd']],
    ['empty', '', []],
  ];
  for (const [name, header, texts] of cases) {
    it(name, () => assert.deepEqual(warningTexts(header), texts));
  }
});
