// What a task template needs beyond its schema, for Services and Tasks alike.
import type { FieldError } from '../../errors.js';
import type { TaskTemplate } from '../../model/index.js';

/** What the template schema cannot say: something to run, and a driver that fits. */
export function checkTemplate(t: TaskTemplate, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!t.command && !t.unit) errs.push({ path, message: 'nothing to run: give command (exec) or unit options (unit)' });
  if (t.driver === 'exec' && !t.command) errs.push({ path: `${path}/command`, message: 'the exec driver needs a command' });
  if (t.driver === 'unit' && !t.unit) errs.push({ path: `${path}/unit`, message: 'the unit driver needs unit options' });
  for (const [k] of Object.entries(t.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) errs.push({ path: `${path}/env/${k}`, message: 'environment variable names are letters, digits and _, not starting with a digit' });
  }
  return errs;
}
