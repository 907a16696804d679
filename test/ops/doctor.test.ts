// `lookalike doctor` as an operator runs it: a child process configured by environment, against the embedded
// store, a stopped Elasticsearch address, a model folder with a corrupted graph, and the fake Discord.
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, tinyModelDir } from '../helpers/bot.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { FakeDiscord } from '../discord/fake-discord/index.js';
import { discordEnv, fakeGuild, token } from '../discord/harness.js';

interface Report {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}

const guild = fakeGuild('Doctor club');
let data: Awaited<ReturnType<typeof tempDir>>;
let fake: FakeDiscord;

beforeAll(async () => {
  data = await tempDir();
  fake = await FakeDiscord.start({ token, guilds: [guild] });
});
afterAll(async () => {
  await fake?.close();
  await data?.remove();
});

const doctor = async (env: NodeJS.ProcessEnv) => {
  const result = await runCli(['doctor', '--json'], env);
  return { ...result, report: JSON.parse(result.stdout) as Report };
};
const check = (report: Report, name: string) => report.checks.find((c) => c.name === name);

describe('lookalike doctor', () => {
  it('passes a good setup, one line per check', async () => {
    const env = isolatedEnv(path.join(data.dir, 'good'));
    const human = await runCli(['doctor'], env);
    expect(human.code, human.stdout + human.stderr).toBe(0);
    for (const name of [
      'configuration',
      'data folder',
      'model files',
      'model',
      'store',
      'store model stamp',
    ]) {
      expect(human.stdout).toMatch(new RegExp(`^ok {3}${name}: `, 'm'));
    }
    const { code, report } = await doctor(env);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(check(report, 'model')?.detail).toContain('loads and embeds a text and an image');
  });

  it('fails naming DISCORD_TOKEN when Discord answers 401, and says how to fix it', async () => {
    const env = isolatedEnv(path.join(data.dir, 'discord'), {
      ...discordEnv(fake, guild.roles[1]!.id),
      DISCORD_TOKEN: 'MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.Gabcde.not-the-token-not-the-token-not-th',
    });
    const human = await runCli(['doctor'], env);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(
      /^FAIL discord token: Discord rejected DISCORD_TOKEN \(401 Unauthorized\)$/m,
    );
    expect(human.stdout).toMatch(/^ {7}fix: copy the bot token from the Developer Portal/m);
    expect(human.stdout).not.toContain('not-the-token');

    // The right token: accepted; the commands are not registered yet, and the fix says how.
    const { code, report } = await doctor(
      isolatedEnv(path.join(data.dir, 'discord'), discordEnv(fake, guild.roles[1]!.id)),
    );
    expect(code).toBe(1);
    expect(check(report, 'discord token')).toMatchObject({ ok: true });
    expect(check(report, 'discord commands')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('register-commands'),
    });
  });

  it('fails when the store is stopped', async () => {
    const { code, report } = await doctor(
      isolatedEnv(path.join(data.dir, 'stopped'), {
        LOOKALIKE_STORE: 'elasticsearch',
        ELASTICSEARCH_URL: 'http://127.0.0.1:1',
      }),
    );
    expect(code).toBe(1);
    expect(check(report, 'store')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('Elasticsearch'),
      fix: expect.stringContaining('ELASTICSEARCH_URL'),
    });
    expect(check(report, 'model')?.ok).toBe(true);
  });

  it('fails when a model file is corrupted', async () => {
    const model = path.join(data.dir, 'corrupt-model');
    await cp(tinyModelDir, model, { recursive: true });
    const graph = path.join(model, 'onnx', 'vision_model.onnx');
    const bytes = await readFile(graph);
    await writeFile(graph, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const { code, report } = await doctor(
      isolatedEnv(path.join(data.dir, 'corrupt'), { LOOKALIKE_MODEL_DIR: model }),
    );
    expect(code).toBe(1);
    expect(check(report, 'model')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('LOOKALIKE_MODEL_DIR'),
    });
  });
});
