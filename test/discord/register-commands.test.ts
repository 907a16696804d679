import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApplicationCommandOptionType, ApplicationCommandType, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordCommands } from '../../adapters/discord/registration.js';
import { commands } from '../../commands/index.js';
import type { CommandSpec } from '../../src/bot/types.js';
import { FakeDiscord } from './fake-discord/index.js';
import { snowflake } from './fake-discord/payloads.js';

const root = path.resolve(import.meta.dirname, '../..');
const specs = commands.map((c) => c.spec);
const token = 'register.test.token-0123456789';
const guildId = snowflake();

const byName = (list: readonly unknown[], name: string) =>
  list.find((c) => (c as { name: string }).name === name) as Record<string, unknown> & {
    options?: Record<string, unknown>[];
  };

describe('Discord command registration', () => {
  it('derives every command from the bot’s specs: main verbs, /lookalike subcommands, the message menu', () => {
    const json = discordCommands(specs);
    const find = byName(json, 'find');
    expect(find.options).toEqual([
      expect.objectContaining({
        name: 'text',
        type: ApplicationCommandOptionType.String,
        required: true,
        max_length: 500,
      }),
      expect.objectContaining({
        name: 'count',
        type: ApplicationCommandOptionType.Integer,
        min_value: 1,
        max_value: 20,
      }),
      // The query language's filters as Discord pickers and fields.
      expect.objectContaining({ name: 'in', type: ApplicationCommandOptionType.Channel }),
      expect.objectContaining({ name: 'from', type: ApplicationCommandOptionType.User }),
      ...['after', 'before', 'during', 'type', 'source', 'sort'].map((name) =>
        expect.objectContaining({ name, type: ApplicationCommandOptionType.String }),
      ),
      expect.objectContaining({ name: 'all', type: ApplicationCommandOptionType.Boolean }),
    ]);
    const similar = byName(json, 'similar');
    expect(similar.options?.[0]).toMatchObject({
      name: 'image',
      type: ApplicationCommandOptionType.Attachment,
    });
    const group = byName(json, 'lookalike');
    expect(group.options?.map((o) => [o.name, o.type])).toEqual(
      specs
        .filter((s) => !['find', 'similar'].includes(s.name) && s.permission !== 'admin')
        .map((s) => [s.name, ApplicationCommandOptionType.Subcommand]),
    );
    expect(group.options?.map((o) => o.name)).toEqual(expect.arrayContaining(['status', 'help']));
    const menu = byName(json, 'Find similar images');
    expect(menu).toMatchObject({ type: ApplicationCommandType.Message });
    // Used in servers only; every spec appears exactly once.
    expect(
      json.every(
        (c) => JSON.stringify(c.contexts) === '[0]' && JSON.stringify(c.integration_types) === '[0]',
      ),
    ).toBe(true);
    const names = [
      ...json
        .filter((c) => c.type === ApplicationCommandType.ChatInput && c.name !== 'lookalike')
        .map((c) => c.name),
      ...(group.options ?? []).map((o) => o.name),
    ];
    expect(names.sort()).toEqual(specs.map((s) => s.name).sort());
  });

  it('gives admin commands their own slash command that needs Manage Server', () => {
    const reindex: CommandSpec = {
      name: 'reindex',
      description: 'Reindex this server',
      permission: 'admin',
      placement: 'own',
      options: [],
    };
    const all = specs.some((s) => s.permission === 'admin') ? specs : [...specs, reindex];
    const json = discordCommands(all);
    for (const spec of all.filter((s) => s.permission === 'admin')) {
      expect(byName(json, spec.name).default_member_permissions).toBe(
        PermissionFlagsBits.ManageGuild.toString(),
      );
    }
    for (const spec of all.filter(
      (s) => s.permission === 'everyone' && ['find', 'similar'].includes(s.name),
    )) {
      expect(byName(json, spec.name).default_member_permissions).toBeUndefined();
    }
  });

  describe('npm run register-commands', () => {
    type Outcome = { code: number; stdout: string; stderr: string };
    let fake: FakeDiscord;
    let guild: Outcome, global: Outcome, unconfigured: Outcome;

    /** Runs the script as `npm run register-commands` does, against the fake Discord. */
    const run = (args: string[], env: Record<string, string>): Promise<Outcome> =>
      promisify(execFile)(process.execPath, ['bin/run-ts.js', 'scripts/register-commands.ts', ...args], {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          DISCORD_TOKEN: token,
          DISCORD_APPLICATION_ID: fake.applicationId,
          DISCORD_API_URL: fake.apiBase,
          ...env,
        },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: Outcome) => error,
      );

    beforeAll(async () => {
      fake = await FakeDiscord.start({ token, guilds: [] });
      // Three runs at once: each starts a TypeScript process, which is most of the time spent here.
      [guild, global, unconfigured] = await Promise.all([
        run([], { DISCORD_GUILD_ID: guildId }),
        run(['--global'], {}),
        run([], {}),
      ]);
    });
    afterAll(async () => {
      await fake?.close();
    });

    const puts = (path: string) => fake.calls.filter((c) => c.method === 'PUT' && c.path === path);

    it('sends the generated JSON to the server route (bulk overwrite) with the bot token', () => {
      const [call, ...more] = puts(`/applications/${fake.applicationId}/guilds/${guildId}/commands`);
      expect(more).toEqual([]);
      expect(call?.headers.authorization).toBe(`Bot ${token}`);
      expect(call?.body).toEqual(JSON.parse(JSON.stringify(discordCommands(specs))));
      expect(guild).toMatchObject({ code: 0 });
      expect(guild.stdout).toContain(
        `Registered ${(call!.body as unknown[]).length} commands in server ${guildId}`,
      );
    });

    it('registers globally with --global', () => {
      const [call, ...more] = puts(`/applications/${fake.applicationId}/commands`);
      expect(more).toEqual([]);
      expect(call?.body).toEqual(JSON.parse(JSON.stringify(discordCommands(specs))));
      expect(global.stdout).toContain('commands globally');
      expect(fake.commands.get('global')).toHaveLength((call!.body as unknown[]).length);
    });

    it('names the missing setting and sends nothing more when no server is given', () => {
      expect(unconfigured).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(
          'DISCORD_GUILD_ID: needed to register for one server (or pass --global)',
        ),
      });
      expect(fake.calls.filter((c) => c.method === 'PUT')).toHaveLength(2);
    });
  });
});
