import { InputError } from '../util/errors.js';
import type { CommandOption, CommandRequest, CommandSpec } from './types.js';

export type OptionValues = Record<string, string | number | boolean | undefined>;

/**
 * Checks a request's options against the command's spec and returns them typed, with defaults filled in.
 * Text from a console or a slash-command string is accepted for integers and booleans ("10", "true").
 * Every problem is an InputError naming the option.
 */
export function validateOptions(spec: CommandSpec, request: Pick<CommandRequest, 'options'>): OptionValues {
  const known = new Map(spec.options.map((o) => [o.name, o]));
  for (const name of Object.keys(request.options)) {
    if (request.options[name] !== undefined && !known.has(name)) {
      const names = spec.options.filter((o) => o.type !== 'image').map((o) => o.name);
      const hint = names.length > 0 ? `its options are ${names.join(', ')}` : 'it takes no options';
      throw new InputError(`/${spec.name}`, `unknown option "${name}"; ${hint}`);
    }
  }
  const values: OptionValues = {};
  for (const option of spec.options) {
    if (option.type === 'image') continue; // The image travels as request.image.
    const raw = request.options[option.name];
    values[option.name] = raw === undefined || raw === '' ? missing(spec, option) : coerce(option, raw);
  }
  return values;
}

function missing(spec: CommandSpec, option: CommandOption): string | number | boolean | undefined {
  if (option.required)
    throw new InputError(option.name, `/${spec.name} needs ${option.name}: ${option.description}`);
  return option.default;
}

function coerce(option: CommandOption, raw: string | number | boolean): string | number | boolean {
  switch (option.type) {
    case 'integer': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
      if (!Number.isInteger(value)) throw new InputError(option.name, `must be a whole number, got "${raw}"`);
      const { min, max } = option;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        throw new InputError(option.name, `must be from ${min ?? '-∞'} to ${max ?? '∞'}, got ${value}`);
      }
      return value;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const text = String(raw).trim().toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(text)) return true;
      if (['false', 'no', '0', 'off'].includes(text)) return false;
      throw new InputError(option.name, `must be true or false, got "${raw}"`);
    }
    default: {
      const text = String(raw).trim();
      if (option.maxLength !== undefined && text.length > option.maxLength) {
        throw new InputError(
          option.name,
          `must be at most ${option.maxLength} characters, got ${text.length}`,
        );
      }
      return text;
    }
  }
}
