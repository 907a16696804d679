import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/util/log.js';
import { modelNames } from '../../src/config/model-names.js';
import { catalog } from '../../src/model/catalog.js';

describe('config', () => {
  it('has defaults for everything but tokens', () => {
    const config = parseConfig({});
    expect(config.LOOKALIKE_PRECISION).toBe('fp32');
    expect(config.LOOKALIKE_STORE).toBe('auto');
    expect(config.LOOKALIKE_THREADS).toBeGreaterThan(0);
    expect(config.DISCORD_TOKEN).toBeUndefined();
  });

  it('names every wrong key', () => {
    let error: unknown;
    try {
      parseConfig({ LOOKALIKE_THREADS: 'many', ELASTICSEARCH_URL: 'not a url', LOOKALIKE_PRECISON: 'fp16' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.key).sort();
    expect(keys).toEqual(['ELASTICSEARCH_URL', 'LOOKALIKE_PRECISON', 'LOOKALIKE_THREADS']);
    expect((error as ConfigError).message).toContain('LOOKALIKE_THREADS');
  });

  it('coerces numbers, booleans and lists', () => {
    const config = parseConfig({
      LOOKALIKE_THREADS: '3',
      ELASTICSEARCH_TLS_VERIFY: 'false',
      LOOKALIKE_EXCLUDE: 'a/**, b/*.png',
    });
    expect(config.LOOKALIKE_THREADS).toBe(3);
    expect(config.ELASTICSEARCH_TLS_VERIFY).toBe(false);
    expect(config.LOOKALIKE_EXCLUDE).toEqual(['a/**', 'b/*.png']);
  });

  it('takes several Elasticsearch nodes and a replica count or auto', () => {
    const config = parseConfig({
      ELASTICSEARCH_URL: 'http://10.0.0.1:9200, http://10.0.0.2:9200',
      ELASTICSEARCH_REPLICAS: '2',
    });
    expect(config.ELASTICSEARCH_URL).toBe('http://10.0.0.1:9200, http://10.0.0.2:9200');
    expect(config.ELASTICSEARCH_REPLICAS).toBe(2);
    expect(parseConfig({}).ELASTICSEARCH_REPLICAS).toBe('auto');
    for (const bad of [
      { ELASTICSEARCH_URL: 'http://10.0.0.1:9200,10.0.0.2' },
      { ELASTICSEARCH_REPLICAS: 'some' },
    ]) {
      expect(() => parseConfig(bad)).toThrow(new RegExp(Object.keys(bad)[0] as string));
    }
  });

  it('names a Slack token of the wrong kind, and where it belongs', () => {
    const problems = (env: Record<string, string>) => {
      try {
        parseConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => `${p.key}: ${p.message}`);
      }
    };
    expect(problems({ SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_APP_TOKEN: 'xapp-1-A1-abc' })).toEqual([]);
    expect(problems({ SLACK_BOT_TOKEN: 'xoxp-1-2-3-abc' })).toEqual([
      'SLACK_BOT_TOKEN: this is a user token (xoxp-); use the Bot User OAuth Token (xoxb-) from "OAuth & Permissions" instead',
    ]);
    // Swapped: each named, each pointed to the other key.
    expect(problems({ SLACK_BOT_TOKEN: 'xapp-1-A1-abc', SLACK_APP_TOKEN: 'xoxb-1-2-abc' })).toEqual([
      expect.stringMatching(
        /^SLACK_BOT_TOKEN: this is an app-level token \(xapp-\), which belongs in SLACK_APP_TOKEN/,
      ),
      expect.stringMatching(
        /^SLACK_APP_TOKEN: this is a bot token \(xoxb-\), which belongs in SLACK_BOT_TOKEN/,
      ),
    ]);
    expect(problems({ SLACK_APP_TOKEN: 'xoxp-1-2-3-abc' })).toEqual([
      expect.stringMatching(
        /^SLACK_APP_TOKEN: this is a user token \(xoxp-\); Socket Mode needs an app-level token/,
      ),
    ]);
    expect(problems({ SLACK_BOT_TOKEN: 'secret-without-prefix' })).toEqual([
      'SLACK_BOT_TOKEN: this is not a bot token (a Bot User OAuth Token starts with xoxb-)',
    ]);
  });

  it('.env.example documents every setting', () => {
    const example = readFileSync(path.resolve(import.meta.dirname, '../../.env.example'), 'utf8');
    const missing = Object.keys(configSchema.shape).filter((key) => !example.includes(`${key}=`));
    expect(missing).toEqual([]);
  });
});

describe('logger', () => {
  it('never prints configured secrets', () => {
    const lines: string[] = [];
    const config = parseConfig({ DISCORD_TOKEN: 'discord-secret-token', SLACK_BOT_TOKEN: 'xoxb-secret' });
    const log = createLogger(config, (line) => lines.push(line));
    log.error('login failed with discord-secret-token', { header: 'Bearer xoxb-secret' });
    expect(lines.join('\n')).not.toContain('discord-secret-token');
    expect(lines.join('\n')).not.toContain('xoxb-secret');
    expect(lines.join('\n')).toContain('[redacted]');
  });
});

describe('model names', () => {
  it('are exactly the catalog’s models, each once', () => {
    expect([...catalog.map((m) => m.name)].sort()).toEqual([...modelNames].sort());
  });
});
