import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  /** PEM certificate; also the CA a client must trust, since it signs itself. */
  cert: string;
  key: string;
}

/** Discord's file hosts, Slack's, and one host that belongs to neither. */
export const discordFileHosts = ['cdn.discordapp.com', 'media.discordapp.net'] as const;
export const slackFileHosts = ['files.slack.com', 'files-edu.slack.com'] as const;
export const foreignHost = 'images.example.com';
export const fakeTlsHosts = [...discordFileHosts, ...slackFileHosts, foreignHost] as const;

/** Where the run's certificate lives (set by test/setup/tls.ts). */
export const tlsDirVariable = 'TEST_FAKE_TLS_DIR';

/**
 * The certificate every fake https host serves, trusted by test workers and the bot processes they start
 * through NODE_EXTRA_CA_CERTS (test/setup/tls.ts).
 */
export function fakeInternetCertificate(): TestCertificate {
  const dir = process.env[tlsDirVariable];
  if (!dir) throw new Error(`${tlsDirVariable} is not set: run the tests through vitest (test/setup/tls.ts)`);
  return {
    cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
  };
}

/** A self-signed certificate for the given host names, made with the `openssl` CLI (node:crypto cannot make certificates). */
export function makeSelfSignedCertificate(hosts: string[]): TestCertificate {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lookalike-cert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${hosts[0]}`,
        '-addext',
        `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`,
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
