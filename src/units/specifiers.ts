// systemd's "%" specifiers (systemd.unit(5), "Specifiers"), as systemd 252 resolves them when it
// loads a unit: the name-derived ones from the unit's name, the host-derived ones from a context
// the caller supplies (the agent knows its hostname, machine ID, boot ID). An unknown specifier
// is an error, as in systemd ("Specifiers must be known and resolvable for the setting to be
// valid"); a "%" at the very end of the text is kept.
//
// fleet itself expands only %n %N %p %i, and only in [X-Fleet] values (see xfleet.ts); every
// other section reaches systemd verbatim and systemd expands it on the machine.
import { UnitFileError } from './errors.js';

/** What host-derived specifiers resolve to. Defaults are those of the system manager. */
export interface SpecifierContext {
  hostname?: string; // %H, and %l up to the first dot
  prettyHostname?: string; // %q
  machineId?: string; // %m
  bootId?: string; // %b
  architecture?: string; // %a
  kernelRelease?: string; // %v
  osId?: string; // %o
  osVersionId?: string; // %w
  osVariantId?: string; // %W
  osBuildId?: string; // %B
  osImageId?: string; // %M
  osImageVersion?: string; // %A
  credentialsDirectory?: string; // %d
  fragmentPath?: string; // %y, and %Y its directory
  user?: string; // %u, default "root"
  uid?: string; // %U, default "0"
  group?: string; // %g, default "root"
  gid?: string; // %G, default "0"
  home?: string; // %h, default "/root"
  shell?: string; // %s, default "/bin/sh"
  runtimeDirectory?: string; // %t, default "/run"
  stateDirectory?: string; // %S, default "/var/lib"
  cacheDirectory?: string; // %C, default "/var/cache"
  logsDirectory?: string; // %L, default "/var/log"
  configDirectory?: string; // %E, default "/etc"
  tmpDirectory?: string; // %T, default "/tmp"
  varTmpDirectory?: string; // %V, default "/var/tmp"
}

interface NameParts {
  full: string;
  name: string; // without the type suffix
  prefix: string;
  instance: string;
}

function nameParts(unitName: string): NameParts | undefined {
  const dot = unitName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const name = unitName.slice(0, dot);
  const at = name.indexOf('@');
  return at < 0
    ? { full: unitName, name, prefix: name, instance: '' }
    : { full: unitName, name, prefix: name.slice(0, at), instance: name.slice(at + 1) };
}

const hex = (c: string | undefined) => (c !== undefined && /^[0-9a-fA-F]$/.test(c) ? parseInt(c, 16) : -1);

/** systemd's unit_name_unescape: "-" is "/", "\xNN" is the byte NN. undefined when malformed. */
export function unescapeUnitName(s: string): string | undefined {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '-') bytes.push(0x2f);
    else if (c === '\\') {
      const a = hex(s[i + 2]);
      const b = hex(s[i + 3]);
      if (s[i + 1] !== 'x' || a < 0 || b < 0) return undefined;
      bytes.push((a << 4) | b);
      i += 3;
    } else bytes.push(...enc.encode(c));
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** systemd's unit_name_path_unescape: the absolute path an escaped name stands for. */
export function unescapeUnitPath(s: string): string | undefined {
  if (s === '') return undefined;
  if (s === '-') return '/';
  const w = unescapeUnitName(s);
  if (w === undefined) return undefined;
  const parts = w.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  return `/${w}`;
}

type Resolver = (n: NameParts | undefined, ctx: SpecifierContext) => string | undefined;

const fromName = (f: (n: NameParts) => string | undefined): Resolver => (n) => (n ? f(n) : undefined);
const lastDash = (prefix: string) => prefix.slice(prefix.lastIndexOf('-') + 1);

const SPECIFIERS: Record<string, [what: string, resolve: Resolver]> = {
  n: ['the unit name', fromName((n) => n.full)],
  N: ['the unit name', fromName((n) => n.name)],
  p: ['the unit name', fromName((n) => n.prefix)],
  P: ['the unit name', fromName((n) => unescapeUnitName(n.prefix))],
  i: ['the unit name', fromName((n) => n.instance)],
  I: ['the unit name', fromName((n) => unescapeUnitName(n.instance))],
  j: ['the unit name', fromName((n) => lastDash(n.prefix))],
  J: ['the unit name', fromName((n) => unescapeUnitName(lastDash(n.prefix)))],
  f: ['the unit name', fromName((n) => unescapeUnitPath(n.instance || n.prefix))],
  H: ['the host name', (_, c) => c.hostname],
  l: ['the host name', (_, c) => c.hostname?.split('.')[0]],
  q: ['the pretty host name', (_, c) => c.prettyHostname],
  m: ['the machine ID', (_, c) => c.machineId],
  b: ['the boot ID', (_, c) => c.bootId],
  a: ['the architecture', (_, c) => c.architecture],
  v: ['the kernel release', (_, c) => c.kernelRelease],
  o: ['the OS ID', (_, c) => c.osId],
  w: ['the OS version ID', (_, c) => c.osVersionId],
  W: ['the OS variant ID', (_, c) => c.osVariantId],
  B: ['the OS build ID', (_, c) => c.osBuildId],
  M: ['the OS image ID', (_, c) => c.osImageId],
  A: ['the OS image version', (_, c) => c.osImageVersion],
  d: ['the credentials directory', (_, c) => c.credentialsDirectory],
  y: ['the unit file path', (_, c) => c.fragmentPath],
  Y: ['the unit file path', (_, c) => (c.fragmentPath === undefined ? undefined : c.fragmentPath.replace(/\/[^/]*$/, '') || '/')],
  u: ['the user name', (_, c) => c.user ?? 'root'],
  U: ['the user ID', (_, c) => c.uid ?? '0'],
  g: ['the group name', (_, c) => c.group ?? 'root'],
  G: ['the group ID', (_, c) => c.gid ?? '0'],
  h: ['the home directory', (_, c) => c.home ?? '/root'],
  s: ['the shell', (_, c) => c.shell ?? '/bin/sh'],
  t: ['the runtime directory', (_, c) => c.runtimeDirectory ?? '/run'],
  S: ['the state directory', (_, c) => c.stateDirectory ?? '/var/lib'],
  C: ['the cache directory', (_, c) => c.cacheDirectory ?? '/var/cache'],
  L: ['the logs directory', (_, c) => c.logsDirectory ?? '/var/log'],
  E: ['the configuration directory', (_, c) => c.configDirectory ?? '/etc'],
  T: ['the temporary directory', (_, c) => c.tmpDirectory ?? '/tmp'],
  V: ['the temporary directory', (_, c) => c.varTmpDirectory ?? '/var/tmp'],
};

/**
 * Replace systemd specifiers in `text` for the unit `unitName` ("foo@1.service").
 * Throws UnitFileError for an unknown specifier or one that cannot be resolved (a malformed
 * escape in the name for %I/%P/%J/%f, or a host value the context lacks).
 */
export function expandSpecifiers(text: string, unitName: string | undefined, context: SpecifierContext = {}): string {
  if (!text.includes('%')) return text;
  const parts = unitName === undefined ? undefined : nameParts(unitName);
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const s = text[++i];
    if (s === undefined) out += '%';
    else if (s === '%') out += '%';
    else {
      const spec = Object.hasOwn(SPECIFIERS, s) ? SPECIFIERS[s] : undefined;
      if (!spec) throw new UnitFileError(`unknown specifier "%${s}" in ${JSON.stringify(text)}: write "%%" for a literal "%"`);
      const value = spec[1](parts, context);
      if (value === undefined) {
        throw new UnitFileError(`cannot resolve specifier "%${s}" in ${JSON.stringify(text)}: ${spec[0]} is not known${unitName ? ` or not valid for ${JSON.stringify(unitName)}` : ''}`);
      }
      out += value;
    }
  }
  return out;
}
