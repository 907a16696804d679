import { buttonValue } from '../../action-ids.js';
import type { SlackDeps } from '../../context.js';
import { runCommand } from '../../run.js';
import { similarCommand } from '../../slash-commands.js';
import { refusal } from '../../../../src/util/errors.js';
import { buttonOrigin, type ButtonArgs } from './origin.js';

/** "Similar to #n": images like that result, by the image id the button carries. */
export function similarButton(deps: SlackDeps) {
  return async (args: ButtonArgs) => {
    await args.ack();
    const origin = buttonOrigin(args);
    if (!origin) return deps.logger.warn('a Slack "Similar" press came without a workspace or channel');
    await runCommand(deps, origin, () => {
      const imageId = buttonValue(args.action.value);
      if (!imageId) throw refusal('similar', 'That button was not made by me; run the search again.');
      return { command: similarCommand, options: { result: imageId } };
    });
  };
}
