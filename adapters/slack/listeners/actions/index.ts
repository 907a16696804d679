import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { moreActionId, similarActionPattern } from '../../action-ids.js';
import type { SlackDeps } from '../../context.js';
import { moreButton } from './more.js';
import { similarButton } from './similar.js';

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>(moreActionId, moreButton(deps));
  app.action<BlockAction<ButtonAction>>(similarActionPattern, similarButton(deps));
}
