import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSlackFileHost, slackFileFetcher, type SlackFile } from '../../adapters/slack/files.js';
import { parseConfig } from '../../src/config/load.js';
import { downloadSettings, type DownloadSettings } from '../../src/net/download.js';
import { FakeFileHost, otherHost } from './fake-slack/file-host.js';

const token = 'xoxb-files-test-token';
const cat = readFileSync(path.resolve(import.meta.dirname, '../fixtures/images/photo-cat.jpg'));

let host: FakeFileHost;
let limits: DownloadSettings;
let fetchFile: ReturnType<typeof slackFileFetcher>;
beforeAll(async () => {
  host = await FakeFileHost.start(token);
  limits = { ...downloadSettings(parseConfig(host.env)), maxBytes: 1024 * 1024, timeoutMs: 5_000 };
  fetchFile = slackFileFetcher({ token, ...limits });
});
afterAll(async () => {
  await host?.close();
});

const file = (url: string, extra: Partial<SlackFile> = {}): SlackFile => ({
  id: 'F1',
  name: 'cat.jpg',
  mimetype: 'image/jpeg',
  url_private: url,
  ...extra,
});

describe('Slack file downloads', () => {
  it('recognises only https on files.slack.com and files-*.slack.com', () => {
    const ok = [
      'https://files.slack.com/files-pri/T1-F1/a.jpg',
      'https://files-edu.slack.com/a',
      'https://files-origin.slack.com/a',
    ];
    const refused = [
      'http://files.slack.com/a',
      'https://files.slack.com:8443/a',
      'https://slack.com/a',
      'https://files.slack.com.evil.example/a',
      'https://evilfiles.slack.com/a',
      'https://hooks.slack.com/a',
    ];
    for (const url of ok) expect(isSlackFileHost(new URL(url)), url).toBe(true);
    for (const url of refused) expect(isSlackFileHost(new URL(url)), url).toBe(false);
  });

  it('downloads a private file with the bot token', async () => {
    const url = host.put('https://files.slack.com/files-pri/T1-F1/cat.jpg', cat, 'image/jpeg');
    const got = await fetchFile(file(url));
    expect(got.name).toBe('cat.jpg');
    expect(got.bytes.equals(cat)).toBe(true);
    expect(host.requestsTo('files.slack.com').at(-1)?.authorization).toBe(`Bearer ${token}`);
  });

  it('refuses a file on another host without sending it anything', async () => {
    const url = host.put(`https://${otherHost}/cat.jpg`, cat, 'image/jpeg', { private: false });
    await expect(fetchFile(file(url))).rejects.toThrow(/served from images\.example\.com/);
    expect(host.requestsTo(otherHost)).toEqual([]);
  });

  it('does not follow a redirect off Slack, so the token never reaches the other host', async () => {
    const target = host.put(`https://${otherHost}/moved.jpg`, cat, 'image/jpeg', { private: false });
    const url = host.redirect('https://files.slack.com/files-pri/T1-F2/moved.jpg', target);
    await expect(fetchFile(file(url))).rejects.toThrow(/only download from Slack's file hosts/);
    expect(host.requestsTo(otherHost)).toEqual([]);
  });

  it('follows a redirect between Slack file hosts', async () => {
    const target = host.put('https://files-edu.slack.com/files-pri/T1-F3/cat.jpg', cat, 'image/jpeg');
    const url = host.redirect('https://files.slack.com/files-pri/T1-F3/cat.jpg', target);
    expect((await fetchFile(file(url))).bytes.length).toBe(cat.length);
    expect(host.requestsTo('files-edu.slack.com').at(-1)?.authorization).toBe(`Bearer ${token}`);
  });

  it('refuses an oversized file by its declared size before downloading, and by its real size', async () => {
    const big = Buffer.concat([cat, Buffer.alloc(limits.maxBytes)]);
    const url = host.put('https://files.slack.com/files-pri/T1-F4/big.jpg', big, 'image/jpeg');
    const before = host.requests.length;
    await expect(fetchFile(file(url, { size: big.length }))).rejects.toThrow(/the limit is 1\.0 MiB/);
    expect(host.requests.length).toBe(before);
    await expect(fetchFile(file(url, { size: 10 }))).rejects.toThrow(/1\.0 MiB/);
  });

  it("explains Slack's sign-in page (a wrong token or a missing files:read scope)", async () => {
    const url = host.put('https://files.slack.com/files-pri/T1-F5/cat.jpg', cat, 'image/jpeg');
    const wrong = slackFileFetcher({ token: 'xoxb-wrong', ...limits });
    await expect(wrong(file(url))).rejects.toThrow(/sign-in page.*files:read/);
  });

  it('refuses files that are not images, by type and by content', async () => {
    const url = host.put(
      'https://files.slack.com/files-pri/T1-F6/notes.txt',
      Buffer.from('hello'),
      'text/plain',
    );
    await expect(fetchFile(file(url, { mimetype: 'text/plain' }))).rejects.toThrow(
      /text\/plain file, not an image/,
    );
    await expect(fetchFile(file(url, { name: 'fake.jpg' }))).rejects.toThrow(
      /fake\.jpg: its content is not an image/,
    );
  });
});
