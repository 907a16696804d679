import type { Config } from './schema.js';

/** Slack's tokens say their kind in their first letters. */
const kinds: [prefix: string, kind: string][] = [
  ['xoxb-', 'a bot token (xoxb-)'],
  ['xoxp-', 'a user token (xoxp-)'],
  ['xapp-', 'an app-level token (xapp-)'],
  ['xoxe', 'a refresh or configuration token (xoxe)'],
];

const kindOf = (token: string) => kinds.find(([prefix]) => token.startsWith(prefix))?.[1];

/**
 * A Slack token of the wrong kind in SLACK_BOT_TOKEN or SLACK_APP_TOKEN (a user token where the bot token belongs,
 * the two swapped), named before Slack is asked: Slack would accept a user token and the bot would act as a person.
 */
export function slackTokenProblems(config: Config): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const bot = config.SLACK_BOT_TOKEN;
  if (bot !== undefined && !bot.startsWith('xoxb-')) {
    const kind = kindOf(bot);
    problems.push({
      key: 'SLACK_BOT_TOKEN',
      message: !kind
        ? 'this is not a bot token (a Bot User OAuth Token starts with xoxb-)'
        : bot.startsWith('xapp-')
          ? `this is ${kind}, which belongs in SLACK_APP_TOKEN; SLACK_BOT_TOKEN takes the Bot User OAuth Token (xoxb-) from "OAuth & Permissions"`
          : `this is ${kind}; use the Bot User OAuth Token (xoxb-) from "OAuth & Permissions" instead`,
    });
  }
  const app = config.SLACK_APP_TOKEN;
  if (app !== undefined && !app.startsWith('xapp-')) {
    const kind = kindOf(app);
    problems.push({
      key: 'SLACK_APP_TOKEN',
      message: !kind
        ? 'this is not an app-level token (an app-level token starts with xapp-)'
        : app.startsWith('xoxb-')
          ? `this is ${kind}, which belongs in SLACK_BOT_TOKEN; SLACK_APP_TOKEN takes an app-level token (xapp-) with connections:write from "Basic Information"`
          : `this is ${kind}; Socket Mode needs an app-level token (xapp-) with connections:write from "Basic Information"`,
    });
  }
  return problems;
}
