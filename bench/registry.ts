import type { Row } from './report.js';

export interface Benchmark {
  name: string;
  description: string;
  run(opts: { quick: boolean }): Promise<Row[]>;
}

/** Every benchmark, in the order a full run executes them. */
export const benchmarks: Benchmark[] = [];
