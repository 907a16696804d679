import { stringify } from 'yaml';
import type { CommandSpec } from '../../src/bot/types.js';
import { similarCommand, similarShortcut, slackSlashCommands } from './slash-commands.js';

/**
 * What the app asks for, and why: slash commands (`commands`); posting answers, editing progress and private
 * notes (`chat:write`); reading a message's picture (`files:read`); uploading contact sheets (`files:write`);
 * mentions (`app_mentions:read`); which channels' images may be shown to whom (`channels:read`, and
 * `groups:read` for the private channels a person is in); admins by user group (`usergroups:read`); indexing
 * channel history (`channels:history`, `groups:history`).
 */
export const botScopes = [
  'app_mentions:read',
  'channels:history',
  'channels:read',
  'chat:write',
  'commands',
  'files:read',
  'files:write',
  'groups:history',
  'groups:read',
  'usergroups:read',
];
/** Mentions, and the messages of indexed channels (live indexing follows posts, edits and deletions). */
export const botEvents = ['app_mention', 'file_deleted', 'message.channels', 'message.groups'];

export interface ManifestOptions {
  /** HTTP mode: the public URL Slack posts requests to (`https://host/slack/events`). Socket Mode without. */
  requestUrl?: string;
}

/** The Slack app manifest for these commands: paste it at api.slack.com/apps ("From an app manifest"). */
function slackManifest(
  specs: readonly CommandSpec[],
  options: ManifestOptions = {},
): Record<string, unknown> {
  const url = options.requestUrl ? { url: options.requestUrl } : {};
  const requestUrl = options.requestUrl ? { request_url: options.requestUrl } : {};
  const similar = specs.find((s) => s.name === similarCommand)?.options.some((o) => o.type === 'image');
  return {
    display_information: {
      name: 'lookalike',
      description: 'Finds images by words or by example',
      background_color: '#2c2d30',
    },
    features: {
      bot_user: { display_name: 'lookalike', always_online: true },
      slash_commands: slackSlashCommands(specs).map((c) => ({
        command: c.command,
        ...url,
        description: c.description,
        usage_hint: c.usageHint,
        // Escaped, `in:#trips` and `from:@alice` arrive as ids (`<#C123|trips>`, `<@U123|alice>`), which the
        // query language's filters take as they are; links arrive as `<https://...>` and are unwrapped.
        should_escape: true,
      })),
      ...(similar
        ? {
            shortcuts: [
              {
                name: similarShortcut.name,
                type: 'message',
                callback_id: similarShortcut.callbackId,
                description: "Find indexed images that look like this message's picture",
              },
            ],
          }
        : {}),
    },
    oauth_config: { scopes: { bot: botScopes } },
    settings: {
      event_subscriptions: { ...requestUrl, bot_events: botEvents },
      interactivity: { is_enabled: true, ...requestUrl },
      org_deploy_enabled: false,
      socket_mode_enabled: !options.requestUrl,
      token_rotation_enabled: false,
    },
  };
}

/** manifest.yml's text: the manifest as YAML under a note saying where it comes from. */
export function slackManifestYaml(specs: readonly CommandSpec[], options: ManifestOptions = {}): string {
  const note =
    "# Slack app manifest for lookalike, generated from the bot's commands by scripts/slack-manifest.ts.\n" +
    '# Do not edit by hand: run `node bin/run-ts.js scripts/slack-manifest.ts --write` after changing commands.\n';
  return note + stringify(slackManifest(specs, options), { lineWidth: 0, singleQuote: true });
}
