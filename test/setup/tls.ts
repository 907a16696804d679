import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fakeTlsHosts, makeSelfSignedCertificate, tlsDirVariable } from '../helpers/tls.js';

// The fake internet's certificate (Discord's CDN, Slack's file hosts, one foreign host), made once per run and
// trusted the way a company trusts its own CA: NODE_EXTRA_CA_CERTS, read by every test worker and every bot
// process the tests start, as Node reads it in production. No test changes how the process verifies TLS.
let dir: string | undefined;

export function setup() {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lookalike-test-tls-'));
  const { cert, key } = makeSelfSignedCertificate([...fakeTlsHosts]);
  writeFileSync(path.join(dir, 'cert.pem'), cert);
  writeFileSync(path.join(dir, 'key.pem'), key);
  process.env[tlsDirVariable] = dir;
  process.env.NODE_EXTRA_CA_CERTS = path.join(dir, 'cert.pem');
}

export function teardown() {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
