import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DatasetMove } from '../model/index.js';
import { bytesOf, moveText, rateText } from './dataset-views.js';

const MiB = 1024 * 1024;
const move = (phase: DatasetMove['phase'], done: number, total: number): DatasetMove => ({ from: 'a', to: 'b', phase, bytesDone: done, bytesTotal: total, startedAt: '2026-01-01T00:00:00Z' });

describe('dataset views', () => {
  it('shows a move as percent and amounts in the unit of the total', () => {
    assert.equal(moveText(move('Sending', Math.round(12.3 * MiB), Math.round(29.1 * MiB))), '42% 12.3/29.1 MiB');
    assert.equal(moveText(move('Verifying', 3 * 1024 ** 3, 3 * 1024 ** 3)), '100% 3.0/3.0 GiB verifying');
    assert.equal(moveText(move('Waiting', 0, 0)), 'waiting');
    assert.equal(moveText(null), '-');
    assert.equal(moveText(move('Sending', 0, 0)), '0% 0/0 B', 'an empty dataset does not divide by zero');
  });

  it('formats amounts and rates', () => {
    assert.equal(bytesOf(512, 2048), '0.5/2.0 KiB');
    assert.equal(rateText(3.1 * MiB), '3.1 MiB/s');
    assert.equal(rateText(100), '100 B/s');
  });
});
