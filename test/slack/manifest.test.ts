import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { botEvents, botScopes, slackManifestYaml } from '../../adapters/slack/manifest.js';
import { slackSlashCommands } from '../../adapters/slack/slash-commands.js';
import { commands } from '../../commands/index.js';

const specs = commands.map((c) => c.spec);
const committed = readFileSync(path.resolve(import.meta.dirname, '../../manifest.yml'), 'utf8');

describe('manifest.yml', () => {
  it('is exactly what scripts/slack-manifest.ts generates from the commands', () => {
    expect(committed).toBe(slackManifestYaml(specs));
  });

  it('registers every slash command the adapter listens for, the shortcut, the events and the scopes', () => {
    const manifest = parse(committed);
    const registered = manifest.features.slash_commands.map((c: { command: string }) => c.command);
    expect(registered).toEqual(slackSlashCommands(specs).map((c) => c.command));
    expect(manifest.features.shortcuts).toEqual([
      expect.objectContaining({ type: 'message', callback_id: 'find_similar' }),
    ]);
    expect(manifest.settings).toMatchObject({
      socket_mode_enabled: true,
      interactivity: { is_enabled: true },
    });
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(botEvents);
    expect(manifest.oauth_config.scopes.bot).toEqual(botScopes);
    for (const scope of [
      'commands',
      'chat:write',
      'files:read',
      'files:write',
      'app_mentions:read',
      'usergroups:read',
    ]) {
      expect(botScopes).toContain(scope);
    }
  });

  it('points every request at one URL in HTTP mode', () => {
    const url = 'https://bot.example.com/slack/events';
    const manifest = parse(slackManifestYaml(specs, { requestUrl: url }));
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.settings.event_subscriptions.request_url).toBe(url);
    expect(manifest.settings.interactivity.request_url).toBe(url);
    for (const command of manifest.features.slash_commands) expect(command.url).toBe(url);
  });
});
