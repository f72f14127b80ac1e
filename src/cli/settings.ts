// Where `drover server`'s settings come from, in order of precedence: a flag, the environment
// (DROVER_SERVER_<FLAG>, e.g. DROVER_SERVER_LISTEN), a YAML file (--config-file, its keys the
// flags' names), the default. /api/v1/system/config shows each value with its source.
import { readFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { parse } from 'yaml';
import { UsageError } from './output.js';

import type { Setting, SettingSource } from '../api/system.js';

const CONFIG_FILE = 'config-file';

/** Gives every option of `cmd` its environment variable and adds --config-file, read before the action runs. */
export function addSettingSources(cmd: Command, envPrefix: string): Command {
  for (const o of cmd.options) if (!o.envVar) o.env(`${envPrefix}${o.name().replace(/-/g, '_').toUpperCase()}`);
  cmd.option(`--${CONFIG_FILE} <file>`, 'YAML settings: flag names as keys, e.g. "listen: 0.0.0.0:8080" (flags and the environment override it)');
  cmd.hook('preAction', (command) => applyConfigFile(command));
  return cmd;
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
    cmd.setOptionValueWithSource(key, valueOf(option, name, value, file), 'config');
  }
}

function valueOf(option: Option, name: string, value: unknown, file: string): unknown {
  const takesValue = option.required || option.optional;
  if (!takesValue) {
    if (typeof value !== 'boolean') throw new UsageError(`--${CONFIG_FILE} ${file}: setting "${name}" is true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  const values = Array.isArray(value) ? value : [value];
  if (values.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw new UsageError(`--${CONFIG_FILE} ${file}: setting "${name}" takes a string or number, got ${JSON.stringify(value)}`);
  if (!option.parseArg) return Array.isArray(value) ? values.map(String) : String(value);
  // As commander does for repeated flags: each value through the option's parser, from its default.
  let result: unknown = Array.isArray(option.defaultValue) ? [] : option.defaultValue;
  for (const v of values) {
    try {
      result = option.parseArg(String(v), result);
    } catch (err) {
      throw new UsageError(`--${CONFIG_FILE} ${file}: setting "${name}": ${(err as Error).message}`);
    }
  }
  return result;
}
