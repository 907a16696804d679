// `lookalike doctor` as an operator runs it: a child process configured by environment, against the embedded
// store, a stopped Elasticsearch address, a model folder with a corrupted graph, and the fake Discord.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, tinyModelDir } from '../helpers/bot.js';
import { isolatedEnv, runCli } from '../helpers/cli.js';
import { FakeDiscord } from '../discord/fake-discord/index.js';
import { discordEnv, fakeGuild, token } from '../discord/harness.js';
import { makeSelfSignedCertificate } from '../helpers/tls.js';
import { FakeSlack } from '../slack/fake-slack/index.js';
import { appToken, botToken, team } from '../slack/harness.js';

interface Report {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}

const guild = fakeGuild('Doctor club');
let data: Awaited<ReturnType<typeof tempDir>>;
let fake: FakeDiscord;
let slack: FakeSlack;
const servers: { close(): unknown }[] = [];

beforeAll(async () => {
  data = await tempDir();
  fake = await FakeDiscord.start({ token, guilds: [guild] });
  slack = await FakeSlack.start({ botToken, appToken, teams: [team], channels: [] });
});
afterAll(async () => {
  for (const server of servers) server.close();
  await slack?.close();
  await fake?.close();
  await data?.remove();
});

/** What Elasticsearch answers with security on and no or wrong credentials. */
function answer401(req: IncomingMessage, res: ServerResponse) {
  const reason = req.headers.authorization
    ? 'unable to authenticate user [elastic] for REST request [/]'
    : 'missing authentication credentials for REST request [/]';
  res.writeHead(401, {
    'content-type': 'application/json',
    'www-authenticate': 'Basic realm="security" charset="UTF-8", ApiKey',
  });
  res.end(JSON.stringify({ error: { type: 'security_exception', reason }, status: 401 }));
}

async function listening<T extends ReturnType<typeof createServer>>(server: T): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

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

  it('names ELASTICSEARCH_API_KEY, or the user and password, when Elasticsearch answers 401', async () => {
    const url = `http://127.0.0.1:${await listening(createServer(answer401))}`;
    const base = { LOOKALIKE_STORE: 'elasticsearch', ELASTICSEARCH_URL: url };
    const anonymous = await doctor(isolatedEnv(path.join(data.dir, 'es401'), base));
    expect(anonymous.code).toBe(1);
    expect(check(anonymous.report, 'store')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /^Elasticsearch at http:\/\/127\.0\.0\.1:\d+ rejected the credentials \(401\)/,
      ),
      fix: expect.stringContaining(
        'set ELASTICSEARCH_API_KEY (or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD)',
      ),
    });

    const apiKey = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
    const keyed = await runCli(
      ['doctor'],
      isolatedEnv(path.join(data.dir, 'es401'), { ...base, ELASTICSEARCH_API_KEY: apiKey }),
    );
    expect(keyed.code).toBe(1);
    expect(keyed.stdout).toMatch(/^FAIL store: Elasticsearch at .* rejected the credentials \(401\)/m);
    expect(keyed.stdout).toMatch(/^ {7}fix: ELASTICSEARCH_API_KEY was refused: create a new API key/m);
    expect(keyed.stdout).not.toContain(apiKey);

    const password = 'correct-horse-battery-staple';
    const user = await doctor(
      isolatedEnv(path.join(data.dir, 'es401'), {
        ...base,
        ELASTICSEARCH_USERNAME: 'elastic',
        ELASTICSEARCH_PASSWORD: password,
      }),
    );
    expect(check(user.report, 'store')?.fix).toContain(
      'ELASTICSEARCH_USERNAME / ELASTICSEARCH_PASSWORD were refused',
    );
    expect(JSON.stringify(user.report)).not.toContain(password);
    expect(JSON.stringify(user.report)).not.toContain(Buffer.from(`elastic:${password}`).toString('base64'));
  });

  it('names ELASTICSEARCH_CA_CERT when the certificate is not trusted, and gets past TLS with it', async () => {
    const certificate = makeSelfSignedCertificate(['localhost']);
    const port = await listening(createTlsServer(certificate, answer401));
    const base = {
      LOOKALIKE_STORE: 'elasticsearch',
      ELASTICSEARCH_URL: `https://localhost:${port}`,
      ELASTICSEARCH_API_KEY: 'some-api-key-value',
    };
    const untrusted = await runCli(['doctor'], isolatedEnv(path.join(data.dir, 'tls'), base));
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toMatch(
      new RegExp(
        `^FAIL store: cannot reach Elasticsearch at https://localhost:${port} .*self-signed certificate`,
        'm',
      ),
    );
    expect(untrusted.stdout).toMatch(
      /^ {7}fix: set ELASTICSEARCH_CA_CERT to the CA that signed the cluster's certificate/m,
    );

    const ca = path.join(data.dir, 'es-ca.pem');
    await writeFile(ca, certificate.cert);
    const trusted = await doctor(
      isolatedEnv(path.join(data.dir, 'tls'), { ...base, ELASTICSEARCH_CA_CERT: ca }),
    );
    expect(check(trusted.report, 'store')).toMatchObject({
      ok: false,
      fix: expect.stringContaining('ELASTICSEARCH_API_KEY was refused'),
    });
  });

  it('checks Slack: a refused token named, an accepted one with its mode', async () => {
    const slackEnv = { SLACK_APP_TOKEN: appToken, SLACK_API_URL: slack.apiUrl };
    const refused = await runCli(
      ['doctor'],
      isolatedEnv(path.join(data.dir, 'slack'), {
        ...slackEnv,
        SLACK_BOT_TOKEN: 'xoxb-1111-2222-revokedtokenvalue',
      }),
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^FAIL slack token: auth\.test: invalid_auth$/m);
    expect(refused.stdout).toMatch(
      /^ {7}fix: copy the Bot User OAuth Token \(xoxb-\.\.\.\) into SLACK_BOT_TOKEN/m,
    );
    expect(refused.stdout).not.toContain('revokedtokenvalue');

    const accepted = await doctor(
      isolatedEnv(path.join(data.dir, 'slack'), { ...slackEnv, SLACK_BOT_TOKEN: botToken }),
    );
    expect(check(accepted.report, 'slack mode')).toMatchObject({
      ok: true,
      detail: 'Socket Mode, app-level token set',
    });
    expect(check(accepted.report, 'slack token')).toMatchObject({ ok: true });
  });

  it('names a Slack token of the wrong kind in the configuration check', async () => {
    const userToken = 'xoxp-1111-2222-3333-usertokenvalue';
    const wrong = await doctor(
      isolatedEnv(path.join(data.dir, 'slack-kind'), {
        SLACK_BOT_TOKEN: userToken,
        SLACK_APP_TOKEN: botToken,
        SLACK_API_URL: slack.apiUrl,
      }),
    );
    expect(wrong.code).toBe(1);
    const configuration = check(wrong.report, 'configuration');
    expect(configuration?.ok).toBe(false);
    expect(configuration?.detail).toContain('SLACK_BOT_TOKEN: this is a user token (xoxp-)');
    expect(configuration?.detail).toContain(
      'SLACK_APP_TOKEN: this is a bot token (xoxb-), which belongs in SLACK_BOT_TOKEN',
    );
    expect(JSON.stringify(wrong.report)).not.toContain('usertokenvalue');
  });
});
