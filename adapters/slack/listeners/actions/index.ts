import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { moreActionId, similarActionPattern } from '../../button-ids.js';
import type { SlackContext } from '../../context.js';
import { moreButton } from './more.js';
import { similarButton } from './similar.js';

export function register(app: App, deps: SlackContext): void {
  app.action<BlockAction<ButtonAction>>(moreActionId, moreButton(deps));
  app.action<BlockAction<ButtonAction>>(similarActionPattern, similarButton(deps));
}
