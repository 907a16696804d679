// Which addresses a download refuses before connecting (the downloads themselves: test/ops/secrets-and-fetches).
import { describe, expect, it } from 'vitest';
import { internalAddressRefusal, isInternalAddress } from '../../src/net/addresses.js';

describe('internal addresses', () => {
  it('knows loopback, private, link-local, metadata and mapped addresses', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '[::1]',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
    ]) {
      expect(isInternalAddress(address), address).toBe(true);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '::ffff:808:808']) {
      expect(isInternalAddress(address), address).toBe(false);
    }
  });

  it('reads the other spellings of an address as the URL parser does', async () => {
    const policy = { allowedPrivateHosts: [] };
    for (const url of [
      'http://2130706433/',
      'http://0x7f.1/',
      'http://127.1/',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost/',
    ]) {
      expect(await internalAddressRefusal(new URL(url), policy), url).toMatch(/private or local address/);
    }
    expect(await internalAddressRefusal(new URL('http://8.8.8.8/'), policy)).toBeUndefined();
    expect(
      await internalAddressRefusal(new URL('http://[::1]:8080/'), { allowedPrivateHosts: ['::1'] }),
    ).toBeUndefined();
    expect(
      await internalAddressRefusal(new URL('http://LocalHost/'), { allowedPrivateHosts: ['localhost'] }),
    ).toBeUndefined();
  });
});
