import { describe, expectTypeOf, it } from 'vitest';
import { defineCommand, type CommandContext, type OptionsOf } from '../../src/bot/command.js';

const spec = {
  name: 'demo',
  description: 'A command whose options cover each kind',
  permission: 'everyone',
  placement: 'grouped',
  options: [
    { name: 'text', description: 'required text', type: 'string', required: true },
    { name: 'count', description: 'with a default', type: 'integer', default: 5 },
    { name: 'full', description: 'a switch', type: 'boolean', default: false },
    { name: 'since', description: 'optional', type: 'string' },
    { name: 'image', description: 'travels as request.image', type: 'image' },
  ],
} as const;

// Checked by `tsc --noEmit` (CI's type check); the test body only has to run.
describe('command options typed from the spec', () => {
  it('gives required and defaulted options their type, optional ones undefined too, and drops the image', () => {
    expectTypeOf<OptionsOf<typeof spec>>().toEqualTypeOf<{
      text: string;
      count: number;
      full: boolean;
      since: string | undefined;
    }>();
    defineCommand({
      spec,
      inference: false,
      async run(context) {
        expectTypeOf(context).toEqualTypeOf<CommandContext<typeof spec>>();
        expectTypeOf(context.options.count).toEqualTypeOf<number>();
        return { kind: 'text', text: context.options.text };
      },
    });
  });
});
