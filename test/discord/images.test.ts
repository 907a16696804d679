import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImage, fetchImage } from '../../adapters/discord/images.js';
import { parseConfig } from '../../src/config/load.js';
import { downloadSettings, type DownloadSettings } from '../../src/net/download.js';
import { InputError } from '../../src/util/errors.js';
import { FakeCdn } from './fake-discord/cdn.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/images');
const cat = readFileSync(path.join(fixtures, 'photo-cat.jpg'));
const cdnUrl = (name: string) => `https://cdn.discordapp.com/attachments/1/2/${name}?ex=ff&is=00&hm=00`;

let cdn: FakeCdn;
let limits: DownloadSettings;
beforeAll(async () => {
  cdn = await FakeCdn.start();
  limits = { ...downloadSettings(parseConfig(cdn.env)), maxBytes: 100_000, timeoutMs: 5000 };
});
afterAll(async () => {
  await cdn.close();
});

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).message;
  }
  throw new Error('not refused');
};

describe('Discord images', () => {
  it('downloads an attachment from the CDN over verified TLS and checks it is a picture', async () => {
    cdn.put(cdnUrl('cat.jpg'), cat, 'image/jpeg');
    const image = await fetchImage(
      { name: 'cat.jpg', url: cdnUrl('cat.jpg'), size: cat.length, contentType: 'image/jpeg' },
      limits,
    );
    expect(image.name).toBe('cat.jpg');
    expect(image.bytes.equals(cat)).toBe(true);
    expect(cdn.requests.at(-1)).toEqual({ host: 'cdn.discordapp.com', path: '/attachments/1/2/cat.jpg' });
  });

  it('refuses other hosts, plain http and other ports before any request is made', () => {
    const before = cdn.requests.length;
    for (const url of [
      'https://images.example.com/cat.jpg',
      'http://cdn.discordapp.com/attachments/1/2/cat.jpg',
      'https://cdn.discordapp.com:8443/attachments/1/2/cat.jpg',
      'https://cdn.discordapp.com.images.example.com/cat.jpg',
    ]) {
      expect(refusal(() => checkImage({ name: 'cat.jpg', url }, limits))).toMatch(
        /^cat\.jpg: it is hosted on .*I only fetch images from Discord itself/,
      );
    }
    expect(cdn.requests.length).toBe(before);
  });

  it('refuses a declared non-image or oversized attachment without downloading it', () => {
    expect(
      refusal(() =>
        checkImage(
          { name: 'notes.txt', url: cdnUrl('notes.txt'), contentType: 'text/plain; charset=utf-8' },
          limits,
        ),
      ),
    ).toBe('notes.txt: it is a text/plain file, not an image');
    expect(
      refusal(() => checkImage({ name: 'big.png', url: cdnUrl('big.png'), size: 5 * 1024 * 1024 }, limits)),
    ).toBe('big.png: it is 5.0 MiB; the limit is 0.1 MiB');
  });

  it('refuses content that is not a picture, and a body over the cap, even when the metadata looked fine', async () => {
    cdn.put(cdnUrl('fake.png'), Buffer.from('just some text, not a png'), 'image/png');
    await expect(
      fetchImage({ name: 'fake.png', url: cdnUrl('fake.png'), contentType: 'image/png' }, limits),
    ).rejects.toThrow('fake.png: its content is not an image I can read');
    cdn.put(cdnUrl('cat-big.jpg'), cat, 'image/jpeg');
    await expect(
      fetchImage({ name: 'cat-big.jpg', url: cdnUrl('cat-big.jpg') }, { ...limits, maxBytes: 10_000 }),
    ).rejects.toThrow('cat-big.jpg: it is 0.0 MiB; the limit is 0.0 MiB');
  });
});
