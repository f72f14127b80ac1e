import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandCommandLine, extractWord, parseExecLine, type ExecCommand } from './exec.js';

const noSpecifiers = (w: string) => w;
const cmd = (path: string, argv: string[], extra: Partial<ExecCommand> = {}): ExecCommand => ({
  path,
  argv,
  ignoreFailure: false,
  expandEnvironment: true,
  privileges: 'default',
  ...extra,
});

describe('parseExecLine', () => {
  const cases: Array<[title: string, value: string, commands: ExecCommand[]]> = [
    ['a plain command', '/usr/bin/sleep 3000', [cmd('/usr/bin/sleep', ['/usr/bin/sleep', '3000'])]],
    ['a bare executable name', 'echo hi', [cmd('echo', ['echo', 'hi'])]],
    ['double and single quotes', `/bin/sh -c 'dmesg | tac' "a b"`, [cmd('/bin/sh', ['/bin/sh', '-c', 'dmesg | tac', 'a b'])]],
    ['quotes in the middle of a word', '/bin/echo a"b c"d', [cmd('/bin/echo', ['/bin/echo', 'ab cd'])]],
    ['empty quotes are an empty argument', '/bin/echo "" x', [cmd('/bin/echo', ['/bin/echo', '', 'x'])]],
    ['C escapes, in and out of quotes', '/bin/echo a\\tb "c\\nd" \'\\x41\\101\\u00e9\' \\s', [cmd('/bin/echo', ['/bin/echo', 'a\tb', 'c\nd', 'AAé', ' '])]],
    ['a quoted executable path with a space', '"/opt/my app/run" x', [cmd('/opt/my app/run', ['/opt/my app/run', 'x'])]],
    ['the "-" prefix', '-/bin/false', [cmd('/bin/false', ['/bin/false'], { ignoreFailure: true })]],
    ['the "@" prefix: the next word is argv[0]', '@/bin/sh mysh -c true', [cmd('/bin/sh', ['mysh', '-c', 'true'])]],
    ['the ":" prefix', ':/bin/echo $HOME', [cmd('/bin/echo', ['/bin/echo', '$HOME'], { expandEnvironment: false })]],
    ['prefixes combined in any order', '-:@+/bin/x y', [cmd('/bin/x', ['y'], { ignoreFailure: true, expandEnvironment: false, privileges: 'full' })]],
    ['"!!"', '!!/bin/x', [cmd('/bin/x', ['/bin/x'], { privileges: 'ambient' })]],
    ['"!"', '!/bin/x', [cmd('/bin/x', ['/bin/x'], { privileges: 'no-setuid' })]],
    ['two commands separated by ";"', 'echo one ; echo "two two"', [cmd('echo', ['echo', 'one']), cmd('echo', ['echo', 'two two'])]],
    ['"\\;" and a quoted ";" are arguments', '/usr/bin/find . -exec rm {} \\; ";" x', [cmd('/usr/bin/find', ['/usr/bin/find', '.', '-exec', 'rm', '{}', ';', ';', 'x'])]],
    ['shell characters are plain arguments (man page example)', 'echo / >/dev/null & \\; ls', [cmd('echo', ['echo', '/', '>/dev/null', '&', ';', 'ls'])]],
    ['a ";" glued to a word is not a separator', '/bin/echo a; b', [cmd('/bin/echo', ['/bin/echo', 'a;', 'b'])]],
    ['lone separators are skipped', '/bin/true ; ; ;', [cmd('/bin/true', ['/bin/true'])]],
    ['the path is simplified, argv[0] is not', '/bin//./true x', [cmd('/bin/true', ['/bin//./true', 'x'])]],
    ['blank runs, tabs and trailing blanks', '  /bin/echo \t a   b  ', [cmd('/bin/echo', ['/bin/echo', 'a', 'b'])]],
  ];
  for (const [title, value, commands] of cases) {
    it(`reads ${title}`, () => {
      const got = parseExecLine(value, noSpecifiers);
      assert.equal(got.fatal, undefined);
      assert.deepEqual(got.commands, commands);
    });
  }

  it('keeps an unknown escape as written, with a warning', () => {
    const got = parseExecLine('/bin/echo c\\d', noSpecifiers);
    assert.deepEqual(got.commands, [cmd('/bin/echo', ['/bin/echo', 'c\\d'])]);
    assert.match(got.warnings[0]!, /unknown escape sequences: "c\\\\d"/);
  });

  it('refuses \\x00 (no NUL bytes), keeping it as written', () => {
    assert.deepEqual(parseExecLine('/bin/echo \\x00', noSpecifiers).commands[0]!.argv, ['/bin/echo', '\\x00']);
  });

  it('resolves specifiers per word, after unquoting', () => {
    const resolve = (w: string) => w.replaceAll('%i', 'a b');
    assert.deepEqual(parseExecLine('/bin/echo %i "x %i"', resolve).commands[0]!.argv, ['/bin/echo', 'a b', 'x a b']);
  });

  // What systemd 252 refuses (checked with systemd-analyze verify): fatal, or only the line dropped with "-".
  const refusals: Array<[title: string, value: string, fatal: RegExp | undefined, warning: RegExp | undefined]> = [
    ['unbalanced quoting in an argument', '/bin/echo "a b', /unbalanced quoting/, undefined],
    ['unbalanced quoting in an argument, with "-"', '-/bin/echo "a b', undefined, /unbalanced quoting, ignoring/],
    ['unbalanced quoting in the executable (the line is dropped)', '"/bin/true', undefined, /unbalanced quoting, ignoring/],
    ['a relative path', 'bin/echo x', /neither a valid executable name nor an absolute path: "bin\/echo"/, undefined],
    ['a directory', '/bin/echo/ x', /executable path specifies a directory/, undefined],
    ['an empty path', '-', undefined, /empty path in command line, ignoring/],
    ['"@" without argv[0]', '@/bin/echo', /empty executable name or zeroeth argument/, undefined],
    ['"+!"', '+!/bin/echo', /neither a valid executable name nor an absolute path: "!\/bin\/echo"/, undefined],
    ['"--"', '--/bin/echo', undefined, /neither a valid executable name nor an absolute path, ignoring: "-\/bin\/echo"/],
    ['a backslash in the executable', '/nonexist/b\\x5cc', /executable name contains special characters/, undefined],
  ];
  for (const [title, value, fatal, warning] of refusals) {
    it(`handles ${title} as systemd does`, () => {
      const got = parseExecLine(value, noSpecifiers);
      assert.deepEqual(got.commands, []);
      if (fatal) assert.match(got.fatal ?? '', fatal);
      else assert.equal(got.fatal, undefined);
      if (warning) assert.ok(got.warnings.some((w) => warning.test(w)), got.warnings.join('; '));
    });
  }

  it('keeps the commands before a dropped one on the same line', () => {
    const got = parseExecLine('/bin/true ; -/bin/echo "x', noSpecifiers);
    assert.deepEqual(got.commands, [cmd('/bin/true', ['/bin/true'])]);
    assert.equal(got.fatal, undefined);
  });

  it('makes a specifier that cannot be resolved fatal, unless "-"', () => {
    const resolve = (w: string) => {
      if (w.includes('%z')) throw new Error('unknown specifier "%z"');
      return w;
    };
    assert.match(parseExecLine('/bin/echo %z', resolve).fatal ?? '', /failed to resolve unit specifiers in "%z"/);
    assert.equal(parseExecLine('-/bin/echo %z', resolve).fatal, undefined);
  });
});

describe('expandCommandLine', () => {
  const env = { ONE: 'one', TWO: 'two two', THREE: '', QUOTED: `'two two' too`, HOME: '/root' };
  const cases: Array<[title: string, argv: string[], want: string[]]> = [
    // systemd.service(5), "Command lines"
    ['$VAR words split, ${VAR} kept whole', ['echo', '$ONE', '$TWO', '${TWO}'], ['echo', 'one', 'two', 'two', 'two two']],
    ['quotes in a value group words when split', ['echo', '$QUOTED', '${QUOTED}'], ['echo', 'two two', 'too', `'two two' too`]],
    ['an empty or unset $VAR word disappears', ['echo', '$THREE', '$NOPE', 'x'], ['echo', 'x']],
    ['an empty or unset ${VAR} is an empty string', ['echo', '${THREE}', 'a${NOPE}b'], ['echo', '', 'ab']],
    ['${VAR} inside a word', ['echo', '--home=${HOME}/x'], ['echo', '--home=/root/x']],
    ['$VAR inside a word stays as written', ['echo', 'a$ONE', '--x=$ONE'], ['echo', 'a$ONE', '--x=$ONE']],
    ['$$ is a dollar sign', ['echo', '$$ONE', 'cost$$5'], ['echo', '$ONE', 'cost$5']],
    ['shell forms and unterminated braces stay as written', ['echo', '${ONE:-x}', '${ONE'], ['echo', '${ONE:-x}', '${ONE']],
    ['"$VAR/x" looks up a variable named "VAR/x"', ['echo', '$HOME/x'], ['echo']],
  ];
  for (const [title, argv, want] of cases) {
    it(`expands ${title}`, () => assert.deepEqual(expandCommandLine(cmd('echo', argv), env), want));
  }

  it('leaves everything alone for a ":" command', () => {
    assert.deepEqual(expandCommandLine(cmd('/bin/echo', ['/bin/echo', '$ONE', '${TWO}'], { expandEnvironment: false }), env), ['/bin/echo', '$ONE', '${TWO}']);
  });
});

describe('extractWord', () => {
  it('reports "none" at the end and "invalid" for an unterminated quote', () => {
    assert.equal(extractWord('   ', 0, { unquote: true }), 'none');
    assert.equal(extractWord('"abc', 0, { unquote: true }), 'invalid');
    assert.deepEqual(extractWord('"abc', 0, { unquote: true, relax: true }), { word: 'abc', next: 4 });
  });
});
