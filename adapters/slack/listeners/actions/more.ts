import { buttonValue } from '../../button-ids.js';
import type { SlackContext } from '../../context.js';
import { respondToRequest } from '../../respond.js';
import { moreCommand } from '../../slash-commands.js';
import { refusal } from '../../../../src/util/errors.js';
import { buttonOrigin, type ButtonArgs } from './origin.js';

/** "More": the next page of the search whose cursor the button carries, posted next to the results. */
export function moreButton(deps: SlackContext) {
  return async (args: ButtonArgs) => {
    await args.ack();
    const origin = buttonOrigin(args);
    if (!origin) return deps.logger.warn('a Slack "More" press came without a workspace or channel');
    await respondToRequest(deps, origin, () => {
      const cursor = buttonValue(args.action.value);
      if (!cursor) throw refusal('more', 'That button was not made by me; run the search again.');
      return { command: moreCommand, options: { cursor } };
    });
  };
}
