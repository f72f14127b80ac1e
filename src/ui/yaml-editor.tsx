// A YAML document being edited, with line numbers; the lines of the fields the server refused
// are marked (and say why on hover), beside the list of errors.
import { useId, useMemo, useRef } from 'preact/hooks';
import type { ApiError } from '../errors.js';
import { linesOfPaths } from './yaml-lines.js';

export interface YamlEditorProps {
  label: string;
  text: string;
  onInput: (text: string) => void;
  rows: number;
  /** The refusal whose field errors (details) mark lines. */
  error: ApiError | Error | undefined;
  /** Their lines (useErrorLines), shared with the list of errors. */
  lines: ReadonlyMap<string, number>;
}

/** Each field error's line in the text, for marks and for the list. */
export function useErrorLines(text: string, error: ApiError | Error | undefined): Map<string, number> {
  const details = (error as ApiError | undefined)?.details;
  return useMemo(() => (details?.length ? linesOfPaths(text, details.map((d) => d.path)) : new Map<string, number>()), [text, details]);
}

export function YamlEditor({ label, text, onInput, rows, error, lines }: YamlEditorProps) {
  const id = useId();
  const gutter = useRef<HTMLOListElement>(null);
  const details = (error as ApiError | undefined)?.details ?? [];
  const why = new Map<number, string[]>();
  for (const d of details) {
    const line = lines.get(d.path);
    if (line !== undefined) why.set(line, [...(why.get(line) ?? []), `${d.path}: ${d.message}`]);
  }
  const count = text.split('\n').length;
  return (
    <div class="yaml-editor">
      <label for={id}>{label}</label>
      <div class="code">
        <ol class="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: count }, (_, i) => {
            const problems = why.get(i + 1);
            return (
              <li key={i} data-line={i + 1} data-error={problems ? 'true' : undefined} title={problems?.join('\n')}>
                {i + 1}
              </li>
            );
          })}
        </ol>
        <textarea
          id={id}
          name="yaml"
          rows={rows}
          wrap="off"
          spellcheck={false}
          value={text}
          aria-invalid={why.size ? 'true' : undefined}
          onInput={(e) => onInput(e.currentTarget.value)}
          onScroll={(e) => gutter.current && (gutter.current.scrollTop = e.currentTarget.scrollTop)}
        />
      </div>
    </div>
  );
}
