// What a task template needs beyond its schema, for Services and Tasks alike.
import type { FieldError } from '../../errors.js';
import { portEnvName, SECRET_KEY_PATTERN, templatePorts, type TaskTemplate } from '../../model/index.js';
import { nameProblem } from '../names.js';

/** What the template schema cannot say: something to run, and a driver that fits. */
export function checkTemplate(t: TaskTemplate, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!t.command && !t.unit && !t.image) errs.push({ path, message: 'nothing to run: give command (exec), unit options (unit) or an image (container)' });
  if (t.driver === 'container' && !t.image) errs.push({ path: `${path}/image`, message: 'the container driver needs an image' });
  if (t.driver === 'exec' && !t.command) errs.push({ path: `${path}/command`, message: 'the exec driver needs a command' });
  if (t.driver === 'unit' && !t.unit) errs.push({ path: `${path}/unit`, message: 'the unit driver needs unit options' });
  if (Array.isArray(t.env)) {
    const seen = new Set<string>();
    t.env.forEach((e, i) => {
      const at = `${path}/env/${i}`;
      if (!ENV_NAME.test(e.name)) errs.push({ path: `${at}/name`, message: ENV_NAME_RULE });
      if (seen.has(e.name)) errs.push({ path: `${at}/name`, message: `"${e.name}" is given twice` });
      seen.add(e.name);
      if ((e.value === undefined) === (e.secretKeyRef === undefined)) errs.push({ path: at, message: 'give either value or secretKeyRef' });
      if (e.secretKeyRef) errs.push(...secretRefProblems(e.secretKeyRef.secret, `${at}/secretKeyRef/secret`), ...keyProblems(e.secretKeyRef.key, `${at}/secretKeyRef/key`));
    });
  } else {
    for (const [k] of Object.entries(t.env ?? {})) {
      if (!ENV_NAME.test(k)) errs.push({ path: `${path}/env/${k}`, message: ENV_NAME_RULE });
    }
  }
  const dirs = new Set<string>();
  (t.secrets ?? []).forEach((s, i) => {
    const at = `${path}/secrets/${i}`;
    errs.push(...secretRefProblems(s.secret, `${at}/secret`));
    const dir = s.path ?? s.secret;
    if (s.path !== undefined && !SECRET_PATH.test(s.path)) {
      errs.push({ path: `${at}/path`, message: 'must be a relative path of names (letters, digits, - _ .) separated by /, without . or .. segments' });
    }
    if (dirs.has(dir)) errs.push({ path: `${at}/path`, message: `"${dir}" is used by another secret of this template: give each its own path` });
    dirs.add(dir);
  });
  errs.push(...portProblems(t, path));
  return errs;
}

/** Port names unique (PORT_<NAME> must be too), a fixed port asked once per protocol, checks naming ports that exist. */
function portProblems(t: TaskTemplate, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const ports = templatePorts(t);
  const envNames = new Map<string, string>();
  const fixed = new Set<string>();
  ports.forEach((p, i) => {
    const env = portEnvName(p.name);
    const clash = envNames.get(env);
    if (clash !== undefined) errs.push({ path: `${path}/ports/${i}/name`, message: clash === p.name ? `port "${p.name}" is named twice` : `"${p.name}" and "${clash}" are both ${env} in the environment: rename one` });
    envNames.set(env, p.name);
    if (p.port === undefined) return;
    const key = `${p.port}/${p.protocol}`;
    if (fixed.has(key)) errs.push({ path: `${path}/ports/${i}/port`, message: `${key} is asked for twice` });
    fixed.add(key);
  });
  const names = ports.map((p) => p.name);
  (t.checks ?? []).forEach((c, i) => {
    if (c.type === 'exec') return;
    if (typeof c.port === 'string' && !names.includes(c.port)) {
      errs.push({ path: `${path}/checks/${i}/port`, message: `no port named "${c.port}" in template.ports (${names.length ? `its ports: ${names.join(', ')}` : 'it has none'})` });
    } else if (c.port === undefined && names.length === 0) {
      errs.push({ path: `${path}/checks/${i}/port`, message: `a ${c.type} check needs a port: give one (a number), or declare template.ports` });
    }
  });
  return errs;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENV_NAME_RULE = 'environment variable names are letters, digits and _, not starting with a digit';
/** Relative, inside the task's secrets directory: no absolute path, no "." or ".." segment. */
const SECRET_PATH = /^(?!\.{1,2}(\/|$))(?!.*\/\.{1,2}(\/|$))[-_.a-zA-Z0-9]+(\/[-_.a-zA-Z0-9]+)*$/;

function secretRefProblems(name: string, path: string): FieldError[] {
  const problem = nameProblem(name);
  return problem ? [{ path, message: problem }] : [];
}

function keyProblems(key: string, path: string): FieldError[] {
  return SECRET_KEY_PATTERN.test(key) && key !== '.' && key !== '..' ? [] : [{ path, message: 'a key is letters, digits, -, _ and . (not "." or "..")' }];
}
