// How systemd 252 reads the values its settings share: booleans (parse_boolean), unit names a
// dependency may name (unit_name_is_valid), user and group names, absolute paths
// (path_simplify_and_warn) and signals. Pure checks; what a bad value means is up to each
// setting (systemd-settings.ts).

const SIGNALS = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE',
  'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ',
  'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];
const SYSTEMD_UNIT_TYPES = new Set(['service', 'socket', 'target', 'device', 'mount', 'automount', 'swap', 'timer', 'path', 'slice', 'scope']);

/** systemd's parse_boolean. */
export function parseSystemdBoolean(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (['1', 'yes', 'y', 'true', 't', 'on'].includes(v)) return true;
  if (['0', 'no', 'n', 'false', 'f', 'off'].includes(v)) return false;
  return undefined;
}

/** systemd's unit_name_is_valid for plain and instance names (what a dependency may name). */
export function isValidSystemdUnitName(name: string): boolean {
  if (name.length === 0 || Buffer.byteLength(name) >= 256) return false;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || !SYSTEMD_UNIT_TYPES.has(name.slice(dot + 1))) return false;
  const stem = name.slice(0, dot);
  const at = stem.indexOf('@');
  if (at < 0) return /^[A-Za-z0-9:\-_.\\]+$/.test(stem);
  return at > 0 && /^[A-Za-z0-9:\-_.\\]+$/.test(stem.slice(0, at)) && /^[A-Za-z0-9:\-_.\\@]+$/.test(stem.slice(at + 1));
}

/** systemd's relaxed user/group name check (VALID_USER_RELAX | VALID_USER_ALLOW_NUMERIC). */
export function isValidUserName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\x00-\x1f\x7f:/]/.test(name) && name.trim() === name;
}

/** path_simplify_and_warn with PATH_CHECK_ABSOLUTE: the simplified path, or why it is refused. */
export function simplifyAbsolutePath(path: string): { path: string } | { problem: string } {
  if (!path.startsWith('/')) return { problem: 'path is not absolute' };
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { problem: 'path is not normalized' };
  return { path: `/${parts.join('/')}` };
}

/** A signal's name ("SIGTERM") from its name with or without "SIG", or its number on Linux. */
export function signalName(value: string): string | undefined {
  if (/^[0-9]+$/.test(value)) return SIGNALS[Number(value) - 1];
  const name = value.startsWith('SIG') ? value : `SIG${value}`;
  return SIGNALS.includes(name) ? name : undefined;
}
