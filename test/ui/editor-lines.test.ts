// The console's pure pieces, without a browser: a refused field's path to its line in the YAML
// the user wrote, and a followed log's lines across a resumed request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogFollow } from '../../src/ui/log-lines.js';
import { linesOfPaths } from '../../src/ui/yaml-lines.js';

const DOC = `apiVersion: drover/v1
kind: Service
metadata:
  name: web
spec:
  replicas: -1
  template:
    command:
      - sleep
      - "600"
    env: {"a/b": x}
`;

describe('linesOfPaths', () => {
  const cases: [string, number | undefined][] = [
    ['/spec/replicas', 6],
    ['/spec/template/command/1', 10],
    ['/spec/template/env/a~1b', 11],
    // Missing below what exists: where the field belongs.
    ['/spec/template/resources/cpu', 7],
    ['/spec/template/command/7', 8],
    ['', 1],
  ];
  for (const [path, line] of cases) {
    it(`puts "${path}" on line ${line}`, () => {
      assert.equal(linesOfPaths(DOC, [path]).get(path), line);
    });
  }
  it('finds nothing in a document that does not parse', () => {
    assert.equal(linesOfPaths('spec: [unclosed\n', ['/spec']).size, 0);
  });
});

describe('LogFollow', () => {
  it('keeps half lines for the next chunk and resumes without repeating the lines of the last instant', () => {
    const f = new LogFollow();
    assert.equal(f.since(), undefined);
    assert.deepEqual(
      f.take('T1 a\nT2 b\nT2 c\nT3 d').map((l) => l.text),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(f.take('\n').map((l) => [l.time, l.text]), [['T3', 'd']]);
    // Two lines at T3 shown, the second one half-written when the stream dropped.
    assert.deepEqual(f.take('T3 e\nT3 f-ha').map((l) => l.text), ['e']);
    f.resume();
    assert.equal(f.since(), 'T3');
    assert.deepEqual(
      f.take('T3 d\nT3 e\nT3 f-half\nT4 g\n').map((l) => l.text),
      ['f-half', 'g'],
    );
  });
});
