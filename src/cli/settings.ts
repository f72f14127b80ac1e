// Where `drover server`'s settings come from, in order of precedence: a flag, the environment
// (DROVER_SERVER_<FLAG>, e.g. DROVER_SERVER_LISTEN), a YAML file (--config-file, its keys the
// flags' names), the default. /api/v1/system/config shows each value with its source.
import { readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { parse } from 'yaml';
import { UsageError } from './output.js';

import type { Setting, SettingSource } from '../api/system.js';

const CONFIG_FILE = 'config-file';

/**
 * Adds --config-file and, before the action runs, fills what no flag set from the environment
 * (`envPrefix` + the flag's name in capitals: --log-level is DROVER_SERVER_LOG_LEVEL) and then
 * from the file. (Commander's own Option.env works only for options made with it.)
 */
export function addSettingSources(cmd: Command, envPrefix: string): Command {
  cmd.option(`--${CONFIG_FILE} <file>`, `YAML settings: flag names as keys, e.g. "listen: 0.0.0.0:8080" (flags and ${envPrefix}* variables override it)`);
  cmd.hook('preAction', (command) => {
    applyEnvironment(command, envPrefix);
    applyConfigFile(command);
  });
  return cmd;
}

function applyEnvironment(cmd: Command, envPrefix: string): void {
  for (const option of cmd.options) {
    const variable = `${envPrefix}${option.name().replace(/-/g, '_').toUpperCase()}`;
    const raw = process.env[variable];
    if (raw === undefined || option.name() === CONFIG_FILE) continue;
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) === 'cli') continue;
    let value: unknown;
    if (option.required || option.optional) value = valueOf(option, variable, raw, 'the environment');
    else if (/^(1|true|yes)$/i.test(raw)) value = !option.negate;
    else if (/^(0|false|no)?$/i.test(raw)) value = option.negate;
    else throw new UsageError(`${variable} is true or false, got "${raw}"`);
    cmd.setOptionValueWithSource(key, value, 'env');
  }
}

/** Each setting's value and source (one per option; --no-x and --x are one setting). */
export function settingsOf(cmd: Command): Record<string, Setting> {
  const out: Record<string, Setting> = {};
  for (const o of cmd.options) {
    const key = o.attributeName();
    if (o.name() === CONFIG_FILE || key in out || key === 'help') continue;
    const value = cmd.getOptionValue(key) as unknown;
    out[key] = { value: value === undefined ? null : value, source: sourceName(cmd.getOptionValueSource(key)) };
  }
  return out;
}

function sourceName(source: string | undefined): SettingSource {
  return source === 'cli' ? 'flag' : source === 'env' ? 'environment' : source === 'config' ? 'file' : 'default';
}

function applyConfigFile(cmd: Command): void {
  const file = cmd.getOptionValue('configFile') as string | undefined;
  if (!file) return;
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`--${CONFIG_FILE} ${file}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`--${CONFIG_FILE} ${file}: expected a map of settings like "listen: 0.0.0.0:8080"`);
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    const option = cmd.options.find((o) => !o.negate && (o.name() === name || o.attributeName() === name)) ?? cmd.options.find((o) => o.attributeName() === name || o.name() === name);
    if (!option || option.name() === CONFIG_FILE) throw new UsageError(`--${CONFIG_FILE} ${file}: unknown setting "${name}"; the settings are the flags of drover server --help, without their dashes`);
    const key = option.attributeName();
    const source = cmd.getOptionValueSource(key);
    // A flag or the environment wins over the file.
    if (source === 'cli' || source === 'env') continue;
    if (!option.required && !option.optional && typeof value !== 'boolean') throw new UsageError(`--${CONFIG_FILE} ${file}: setting "${name}" is true or false, got ${JSON.stringify(value)}`);
    // "no-auth: true" means auth: false ("auth: false" says it directly).
    const flagValue = option.negate && option.name() === name ? !value : value;
    cmd.setOptionValueWithSource(key, option.required || option.optional ? valueOf(option, `setting "${name}"`, value, `--${CONFIG_FILE} ${file}`) : flagValue, 'config');
  }
}

/** The value of an option that takes one, through its parser as commander would; `what` and `where` name it in errors. */
function valueOf(option: Option, what: string, value: unknown, where: string): unknown {
  const values = Array.isArray(value) ? value : [value];
  if (values.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw new UsageError(`${where}: ${what} takes a string or number, got ${JSON.stringify(value)}`);
  if (!option.parseArg) return Array.isArray(value) ? values.map(String) : String(value);
  // As commander does for repeated flags: each value through the option's parser, from its default.
  let result: unknown = Array.isArray(option.defaultValue) ? [] : option.defaultValue;
  for (const v of values) {
    try {
      result = option.parseArg(String(v), result);
    } catch (err) {
      throw new UsageError(`${where}: ${what}: ${(err as Error).message}`);
    }
  }
  return result;
}
