import type { App } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import * as actions from './actions/index.js';
import * as commands from './commands/index.js';
import * as events from './events/index.js';
import * as shortcuts from './shortcuts/index.js';

/** Every listener, by kind (the layout of Slack's bolt-js starter template). */
export function registerListeners(app: App, deps: SlackContext): void {
  commands.register(app, deps);
  actions.register(app, deps);
  shortcuts.register(app, deps);
  events.register(app, deps);
}
