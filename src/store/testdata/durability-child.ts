// Child process of the durability test: writes as fast as it can with several puts in flight and
// prints each key only after its put was acknowledged. The parent kills it with SIGKILL.

import { SqliteStore } from '../sqlite.js';

const path = process.argv[2];
if (!path) throw new Error('usage: durability-child <db path>');
const store = SqliteStore.open({ path });
const IN_FLIGHT = 16;
let next = 0;

async function writeForever(): Promise<never> {
  for (;;) {
    const key = `/durability/${String(next++).padStart(8, '0')}`;
    await store.put(key, `value of ${key}`);
    process.stdout.write(`${key}\n`);
  }
}

for (let i = 0; i < IN_FLIGHT; i++) void writeForever();
