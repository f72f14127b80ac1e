import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCalendarSpec } from './calendar-format.js';
import { UnitFileError } from './errors.js';
import { interpretTimer } from './systemd-timer.js';

const timer = (...lines: Array<[string, string]>) => lines.map(([name, value]) => ({ section: 'Timer', name, value }));

describe('interpretTimer', () => {
  it('reads every trigger, in milliseconds, and activates the .service of the same name by default', () => {
    const t = interpretTimer(
      timer(['OnActiveSec', '1s'], ['OnBootSec', '5min'], ['OnStartupSec', '2'], ['OnUnitActiveSec', '1h 30min'], ['OnUnitInactiveSec', '500ms'], ['OnCalendar', 'Mon..Fri 09:00']),
      { unitName: 'backup@db.timer' },
    );
    assert.deepEqual(t.spans, { active: [1000], boot: [300_000], startup: [2000], unitActive: [5_400_000], unitInactive: [500] });
    assert.deepEqual(t.calendars.map((c) => [c.text, formatCalendarSpec(c.spec)]), [['Mon..Fri 09:00', 'Mon..Fri *-*-* 09:00:00']]);
    assert.equal(t.unit, 'backup@db.service');
    assert.equal(t.persistent, false);
    assert.equal(t.remainAfterElapse, true);
    assert.deepEqual(t.warnings, []);
  });

  it('Unit=, Persistent=, RemainAfterElapse=, RandomizedDelaySec= and specifiers', () => {
    const t = interpretTimer(timer(['OnCalendar', 'daily'], ['Unit', 'report-%i.service'], ['Persistent', 'yes'], ['RemainAfterElapse', 'no'], ['RandomizedDelaySec', '10s']), {
      unitName: 'nightly@eu.timer',
    });
    assert.equal(t.unit, 'report-eu.service');
    assert.equal(t.persistent, true);
    assert.equal(t.remainAfterElapse, false);
    assert.equal(t.randomizedDelayMs, 10_000);
  });

  it('ignores, with a warning, what systemd ignores: a bad calendar, time span, boolean or Unit=', () => {
    const t = interpretTimer(
      timer(['OnCalendar', '*-13-01'], ['OnActiveSec', 'soon'], ['Persistent', 'maybe'], ['Unit', 'other.timer'], ['OnCalendar', 'hourly'], ['OnClockChange', 'yes']),
      { unitName: 'x.timer' },
    );
    assert.equal(t.calendars.length, 1);
    assert.deepEqual(t.spans.active, []);
    assert.equal(t.unit, 'x.service');
    assert.deepEqual(
      t.warnings.map((w) => `${w.name}: ${w.message}`),
      [
        'OnCalendar: invalid calendar event "*-13-01": the month must be within 1..12 (and a repetition must fit in it); ignoring',
        'OnActiveSec: failed to parse time span "soon"; ignoring (write it as "30s", "5min", "1h 30min")',
        'Persistent: failed to parse boolean value "maybe"; ignoring (use yes or no)',
        'Unit: a timer cannot activate another timer ("other.timer"); ignoring',
        'OnClockChange: OnClockChange= is not supported by drover\'s timers; ignoring it',
      ],
    );
  });

  it('an empty value forgets every trigger set before it', () => {
    const t = interpretTimer(timer(['OnCalendar', 'daily'], ['OnActiveSec', '1s'], ['OnUnitActiveSec', ''], ['OnUnitActiveSec', '2s']), { unitName: 'x.timer' });
    assert.deepEqual(t.calendars, []);
    assert.deepEqual(t.spans.active, []);
    assert.deepEqual(t.spans.unitActive, [2000]);
  });

  it('refuses a timer with no trigger, as systemd does, saying which settings make one', () => {
    assert.throws(
      () => interpretTimer(timer(['OnCalendar', 'not a date'], ['Persistent', 'yes']), { unitName: 'x.timer' }),
      (err: Error) => err instanceof UnitFileError && /^timer has no trigger: add OnCalendar=, OnActiveSec=/.test(err.message),
    );
    assert.throws(() => interpretTimer(timer(['OnActiveSec', '1s']), { unitName: 'x.service' }), /"x.service" is not a timer unit/);
  });
});
