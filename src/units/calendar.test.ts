import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CalendarSpecError, parseCalendarSpec } from './calendar.js';
import { formatCalendarSpec } from './calendar-format.js';
import { nextElapse } from './calendar-next.js';

// Answers of `systemd-analyze calendar --iterations=3 --base-time='2024-02-27 12:00:00 UTC'`
// (systemd 252) for the same text: its normalized form and next elapses, to the second.
const BASE = Date.parse('2024-02-27T12:00:00Z');
const cases: Array<[string, string, string[]]> = [
  ['minutely UTC', '*-*-* *:*:00 UTC', ['2024-02-27 12:01:00','2024-02-27 12:02:00','2024-02-27 12:03:00']],
  ['hourly UTC', '*-*-* *:00:00 UTC', ['2024-02-27 13:00:00','2024-02-27 14:00:00','2024-02-27 15:00:00']],
  ['daily UTC', '*-*-* 00:00:00 UTC', ['2024-02-28 00:00:00','2024-02-29 00:00:00','2024-03-01 00:00:00']],
  ['weekly UTC', 'Mon *-*-* 00:00:00 UTC', ['2024-03-04 00:00:00','2024-03-11 00:00:00','2024-03-18 00:00:00']],
  ['monthly UTC', '*-*-01 00:00:00 UTC', ['2024-03-01 00:00:00','2024-04-01 00:00:00','2024-05-01 00:00:00']],
  ['yearly UTC', '*-01-01 00:00:00 UTC', ['2025-01-01 00:00:00','2026-01-01 00:00:00','2027-01-01 00:00:00']],
  ['quarterly UTC', '*-01,04,07,10-01 00:00:00 UTC', ['2024-04-01 00:00:00','2024-07-01 00:00:00','2024-10-01 00:00:00']],
  ['semiannually UTC', '*-01,07-01 00:00:00 UTC', ['2024-07-01 00:00:00','2025-01-01 00:00:00','2025-07-01 00:00:00']],
  ['annually UTC', '*-01-01 00:00:00 UTC', ['2025-01-01 00:00:00','2026-01-01 00:00:00','2027-01-01 00:00:00']],
  ['Mon..Fri *-*-* 09:00 UTC', 'Mon..Fri *-*-* 09:00:00 UTC', ['2024-02-28 09:00:00','2024-02-29 09:00:00','2024-03-01 09:00:00']],
  ['Sat,Sun 12:00 UTC', 'Sat,Sun *-*-* 12:00:00 UTC', ['2024-03-02 12:00:00','2024-03-03 12:00:00','2024-03-09 12:00:00']],
  ['*-*-* *:*:00/20 UTC', '*-*-* *:*:00/20 UTC', ['2024-02-27 12:00:20','2024-02-27 12:00:40','2024-02-27 12:01:00']],
  ['*:0/15 UTC', '*-*-* *:00/15:00 UTC', ['2024-02-27 12:15:00','2024-02-27 12:30:00','2024-02-27 12:45:00']],
  ['2024-02-29 UTC', '2024-02-29 00:00:00 UTC', ['2024-02-29 00:00:00']],
  ['*-02~03 UTC', '*-02~03 00:00:00 UTC', ['2025-02-26 00:00:00','2026-02-26 00:00:00','2027-02-26 00:00:00']],
  ['Mon *-05~07/1 UTC', 'Mon *-05~07/1 00:00:00 UTC', ['2024-05-27 00:00:00','2025-05-26 00:00:00','2026-05-25 00:00:00']],
  ['*-*~1 UTC', '*-*~01 00:00:00 UTC', ['2024-02-29 00:00:00','2024-03-31 00:00:00','2024-04-30 00:00:00']],
  ['*-*~1..3 UTC', '*-*~01..03 00:00:00 UTC', ['2024-02-28 00:00:00','2024-02-29 00:00:00','2024-03-29 00:00:00']],
  ['12:00 UTC', '*-*-* 12:00:00 UTC', ['2024-02-28 12:00:00','2024-02-29 12:00:00','2024-03-01 12:00:00']],
  ['*-*-* 10..12:00 UTC', '*-*-* 10..12:00:00 UTC', ['2024-02-28 10:00:00','2024-02-28 11:00:00','2024-02-28 12:00:00']],
  ['wed-fri 8:00 UTC', 'Wed..Fri *-*-* 08:00:00 UTC', ['2024-02-28 08:00:00','2024-02-29 08:00:00','2024-03-01 08:00:00']],
  ['*-*-1,15 00:00 UTC', '*-*-01,15 00:00:00 UTC', ['2024-03-01 00:00:00','2024-03-15 00:00:00','2024-04-01 00:00:00']],
  ['23-1-1 UTC', '2023-01-01 00:00:00 UTC', []],
  ['*:*:1.5 UTC', '*-*-* *:*:01.500000 UTC', ['2024-02-27 12:00:01','2024-02-27 12:01:01','2024-02-27 12:02:01']],
  ['Mon, UTC', 'Mon *-*-* 00:00:00 UTC', ['2024-03-04 00:00:00','2024-03-11 00:00:00','2024-03-18 00:00:00']],
  ['*-*-* *:*:* UTC', '*-*-* *:*:* UTC', ['2024-02-27 12:00:01','2024-02-27 12:00:02','2024-02-27 12:00:03']],
  ['*-*-* 0/5:00 UTC', '*-*-* 00/5:00:00 UTC', ['2024-02-27 15:00:00','2024-02-27 20:00:00','2024-02-28 00:00:00']],
  ['1..3/2:00 UTC', '*-*-* 01..03/2:00:00 UTC', ['2024-02-28 01:00:00','2024-02-28 03:00:00','2024-02-29 01:00:00']],
  ['*-1-1 UTC', '*-01-01 00:00:00 UTC', ['2025-01-01 00:00:00','2026-01-01 00:00:00','2027-01-01 00:00:00']],
  ['*-*-31 UTC', '*-*-31 00:00:00 UTC', ['2024-03-31 00:00:00','2024-05-31 00:00:00','2024-07-31 00:00:00']],
  ['*-2-30 UTC', '*-02-30 00:00:00 UTC', []],
  ['*-*-1..3/2 00:00 UTC', '*-*-01..03/2 00:00:00 UTC', ['2024-03-01 00:00:00','2024-03-03 00:00:00','2024-04-01 00:00:00']],
  ['69-1-1 UTC', '2069-01-01 00:00:00 UTC', ['2069-01-01 00:00:00']],
  ['*-*-* 3,1..2:00 UTC', '*-*-* 01..02,03:00:00 UTC', ['2024-02-28 01:00:00','2024-02-28 02:00:00','2024-02-28 03:00:00']],
  ['Mon..Wed,Fri UTC', 'Mon..Wed,Fri *-*-* 00:00:00 UTC', ['2024-02-28 00:00:00','2024-03-01 00:00:00','2024-03-04 00:00:00']],
  ['Mon,Tue,Wed UTC', 'Mon..Wed *-*-* 00:00:00 UTC', ['2024-02-28 00:00:00','2024-03-04 00:00:00','2024-03-05 00:00:00']],
  ['Mon..Sun UTC', '*-*-* 00:00:00 UTC', ['2024-02-28 00:00:00','2024-02-29 00:00:00','2024-03-01 00:00:00']],
  ['Friday *-*-13 UTC', 'Fri *-*-13 00:00:00 UTC', ['2024-09-13 00:00:00','2024-12-13 00:00:00','2025-06-13 00:00:00']],
  ['2024-*-* 23:59:59 UTC', '2024-*-* 23:59:59 UTC', ['2024-02-27 23:59:59','2024-02-28 23:59:59','2024-02-29 23:59:59']],
  ['*-*-* 12:00:00.25 UTC', '*-*-* 12:00:00.250000 UTC', ['2024-02-27 12:00:00','2024-02-28 12:00:00','2024-02-29 12:00:00']],
  ['Thu,Sat *-02-29 UTC', 'Thu,Sat *-02-29 00:00:00 UTC', ['2024-02-29 00:00:00','2048-02-29 00:00:00','2052-02-29 00:00:00']],
  ['Daily UTC', '*-*-* 00:00:00 UTC', ['2024-02-28 00:00:00','2024-02-29 00:00:00','2024-03-01 00:00:00']],
  ['*:5..5/2 UTC', '*-*-* *:05:00 UTC', ['2024-02-27 12:05:00','2024-02-27 13:05:00','2024-02-27 14:05:00']],
  ['*:59..59 UTC', '*-*-* *:59:00 UTC', ['2024-02-27 12:59:00','2024-02-27 13:59:00','2024-02-27 14:59:00']],
  ['*:0/59 UTC', '*-*-* *:00/59:00 UTC', ['2024-02-27 12:59:00','2024-02-27 13:00:00','2024-02-27 13:59:00']],
  ['2024-02-27 12:00 UTC', '2024-02-27 12:00:00 UTC', []],
  ['*-*-* *:*:00/20 utc', '*-*-* *:*:00/20 UTC', ['2024-02-27 12:00:20','2024-02-27 12:00:40','2024-02-27 12:01:00']],
];

// What systemd 252 refuses ("Failed to parse calendar specification"), and what drover refuses
// that systemd reads (time zones other than UTC).
const invalid = [
  '', '*', '*/2', '59..59', '*-*-* 24:00', 'Fri..Mon', 'Mon..', 'Monkey', '*:10..5', '*:*:5..5', '*:0/60', '*:58/2', '*:59/1',
  '*-*~0', '*-*~3..1', '*:*:*/2', '2200-01-01', '*-13-01', '  daily', '12:00:00:00', '2024-1', '*:00:00/0',
  '2003-03-05 05:40 Europe/Berlin',
];

const seconds = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

describe('calendar events', () => {
  for (const [text, normalized, elapses] of cases) {
    it(`${JSON.stringify(text)} is ${normalized}, elapsing ${elapses.join(', ') || 'never'}`, () => {
      const spec = parseCalendarSpec(text);
      assert.equal(formatCalendarSpec(spec), normalized);
      const got: string[] = [];
      for (let at: number | undefined = BASE; got.length < 3; ) {
        at = nextElapse(spec, at);
        if (at === undefined) break;
        got.push(seconds(at));
      }
      assert.deepEqual(got, elapses);
    });
  }

  it('refuses what systemd refuses, saying what is wrong', () => {
    for (const text of invalid) {
      assert.throws(() => parseCalendarSpec(text), (err: Error) => err instanceof CalendarSpecError && err.message.startsWith(`invalid calendar event ${JSON.stringify(text)}: `), text);
    }
    assert.throws(() => parseCalendarSpec('12:00 Europe/Berlin'), /time zone "Europe\/Berlin" is not supported: .*\(append " UTC"\)/);
    assert.throws(() => parseCalendarSpec('Fri..Mon'), /weekday range Fri..Mon goes backwards/);
  });

  it('an elapse is strictly after the time given, to the microsecond', () => {
    const spec = parseCalendarSpec('*:*:00/20 UTC');
    assert.equal(seconds(nextElapse(spec, Date.parse('2024-02-27T12:00:20Z'))!), '2024-02-27 12:00:40');
    assert.equal(seconds(nextElapse(spec, Date.parse('2024-02-27T12:00:19.999Z'))!), '2024-02-27 12:00:20');
  });

  describe('in the local time zone', () => {
    const saved = process.env.TZ;
    after(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it('follows the agent\'s TZ, across a daylight saving change', () => {
      process.env.TZ = 'Europe/Berlin';
      const daily = parseCalendarSpec('*-*-* 02:30');
      // 2024-03-31 02:30 does not exist in Berlin (clocks go from 02:00 to 03:00): systemd 252 skips that day.
      const got: string[] = [];
      for (let at: number | undefined = Date.parse('2024-03-29T12:00:00Z'); got.length < 3; ) {
        at = nextElapse(daily, at)!;
        got.push(new Date(at).toISOString());
      }
      assert.deepEqual(got, ['2024-03-30T01:30:00.000Z', '2024-04-01T00:30:00.000Z', '2024-04-02T00:30:00.000Z']);
    });
  });
});
