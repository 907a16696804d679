import type { App } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { appMention } from './app-mention.js';

export function register(app: App, deps: SlackContext): void {
  app.event('app_mention', appMention(deps));
}
