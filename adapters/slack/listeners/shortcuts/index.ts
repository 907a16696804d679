import type { App, MessageShortcut } from '@slack/bolt';
import type { SlackContext } from '../../context.js';
import { similarShortcut } from '../../slash-commands.js';
import { findSimilarShortcut } from './find-similar.js';

export function register(app: App, deps: SlackContext): void {
  app.shortcut<MessageShortcut>(similarShortcut.callbackId, findSimilarShortcut(deps));
}
