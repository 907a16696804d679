import { execFileSync } from 'node:child_process';
import path from 'node:path';

// The fault tests run against the real 3-node cluster (scripts/elasticsearch/cluster.sh): started here
// when it is not up, and stopped afterwards unless it was up before or LOOKALIKE_KEEP_ES is set.
const script = path.resolve(import.meta.dirname, '../../scripts/elasticsearch/cluster.sh');
let startedHere = false;

export function setup() {
  const urls = execFileSync('bash', [script, 'urls'], { encoding: 'utf8' }).trim();
  startedHere = !isUp(urls.split(',')[0] as string);
  execFileSync('bash', [script, 'start'], { stdio: 'inherit' });
  process.env.ELASTICSEARCH_URL = urls;
}

export function teardown() {
  if (startedHere && !process.env.LOOKALIKE_KEEP_ES) {
    execFileSync('bash', [script, 'stop'], { stdio: 'inherit' });
  }
}

function isUp(url: string): boolean {
  try {
    execFileSync('curl', ['-sf', `${url}/`], { stdio: 'ignore', timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}
