import { buttonValue } from '../../button-ids.js';
import type { SlackContext } from '../../context.js';
import { respondToRequest } from '../../respond.js';
import { similarCommand } from '../../slash-commands.js';
import { refusal } from '../../../../src/util/errors.js';
import { buttonOrigin, type ButtonArgs } from './origin.js';

/** "Similar to #n": images like that result, by the image id the button carries. */
export function similarButton(deps: SlackContext) {
  return async (args: ButtonArgs) => {
    await args.ack();
    const origin = buttonOrigin(args);
    if (!origin) return deps.logger.warn('a Slack "Similar" press came without a workspace or channel');
    await respondToRequest(deps, origin, () => {
      const imageId = buttonValue(args.action.value);
      if (!imageId) throw refusal('similar', 'That button was not made by me; run the search again.');
      return { command: similarCommand, options: { result: imageId } };
    });
  };
}
