import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpretTimer } from './systemd-timer.js';
import { nextTimerElapse, type TimerBases } from './timer-schedule.js';

const T0 = Date.parse('2024-02-27T12:00:00Z');
const S = 1000;
const H = 3600 * S;
const timer = (...lines: Array<[string, string]>) => interpretTimer(lines.map(([name, value]) => ({ section: 'Timer', name, value })), { unitName: 't.timer' });
const bases = (b: Partial<TimerBases> = {}): TimerBases => ({
  activatedAt: T0, bootAt: T0 - H, startupAt: T0 - 10 * S, lastTrigger: undefined, calendarFrom: T0, unitActiveAt: undefined, unitInactiveAt: undefined, ...b,
});

describe('nextTimerElapse', () => {
  it('OnActiveSec=, OnBootSec= and OnStartupSec= count from their bases and fire once', () => {
    assert.equal(nextTimerElapse(timer(['OnActiveSec', '5s']), bases()), T0 + 5 * S);
    assert.equal(nextTimerElapse(timer(['OnBootSec', '2h']), bases()), T0 + H);
    assert.equal(nextTimerElapse(timer(['OnStartupSec', '30s']), bases()), T0 + 20 * S);
    assert.equal(nextTimerElapse(timer(['OnActiveSec', '5s']), bases({ lastTrigger: T0 + 5 * S })), undefined, 'spent once it fired');
    assert.equal(nextTimerElapse(timer(['OnBootSec', '10min']), bases()), T0 - 50 * 60 * S, 'already due: fires at once');
  });

  it('OnUnitActiveSec= repeats from the unit\'s last activation or the timer\'s last trigger, whichever is later, and waits while the unit never ran', () => {
    const t = timer(['OnActiveSec', '1s'], ['OnUnitActiveSec', '2s']);
    assert.equal(nextTimerElapse(t, bases()), T0 + S, 'first OnActiveSec=');
    assert.equal(nextTimerElapse(t, bases({ lastTrigger: T0 + S })), T0 + 3 * S, 'then 2 s after the trigger');
    assert.equal(nextTimerElapse(t, bases({ lastTrigger: T0 + S, unitActiveAt: T0 + S + 100 })), T0 + 3 * S + 100, 'or after the unit became active');
    assert.equal(nextTimerElapse(timer(['OnUnitActiveSec', '2s']), bases()), undefined, 'a unit that never ran starts no clock');
    assert.equal(nextTimerElapse(timer(['OnUnitInactiveSec', '1min']), bases({ unitInactiveAt: T0 + 7 * S })), T0 + 67 * S);
  });

  it('OnCalendar= elapses after calendarFrom; the earliest trigger wins', () => {
    assert.equal(nextTimerElapse(timer(['OnCalendar', 'hourly UTC']), bases()), T0 + H);
    assert.equal(nextTimerElapse(timer(['OnCalendar', 'hourly UTC'], ['OnActiveSec', '10min']), bases()), T0 + 10 * 60 * S);
    assert.equal(nextTimerElapse(timer(['OnCalendar', '2020-01-01 UTC']), bases()), undefined, 'a date in the past never elapses');
  });

  it('Persistent=: counted from a last trigger before a missed elapse, the elapse is due at once, and only one', () => {
    const daily = timer(['OnCalendar', 'daily UTC'], ['Persistent', 'yes']);
    // The agent was down from the 24th: the runs of the 25th, 26th and 27th were missed.
    const missed = nextTimerElapse(daily, bases({ calendarFrom: Date.parse('2024-02-24T00:00:00Z') }));
    assert.equal(missed, Date.parse('2024-02-25T00:00:00Z'));
    assert.ok(missed! <= T0, 'due now');
    // Once it has fired (now), the next is tomorrow: the other missed runs are not made up.
    assert.equal(nextTimerElapse(daily, bases({ lastTrigger: T0, calendarFrom: T0 })), Date.parse('2024-02-28T00:00:00Z'));
  });
});
