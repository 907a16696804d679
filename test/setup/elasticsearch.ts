import { execFileSync } from 'node:child_process';
import path from 'node:path';

// Tests run against a real Elasticsearch. When none is configured, start the local single node
// (scripts/elasticsearch) for this run and stop it afterwards; a configured one is left alone.
const root = path.resolve(import.meta.dirname, '../..');
let startedHere = false;

export function setup() {
  if (process.env.ELASTICSEARCH_URL) return;
  if (process.env.LOOKALIKE_TEST_WITHOUT_ES) return; // Elasticsearch suites then fail, they never skip.
  const port = process.env.ES_PORT ?? '9200';
  const alreadyUp = isUp(port);
  execFileSync('bash', [path.join(root, 'scripts/elasticsearch/start.sh')], { stdio: 'inherit' });
  startedHere = !alreadyUp;
  process.env.ELASTICSEARCH_URL = `http://127.0.0.1:${port}`;
}

export function teardown() {
  if (startedHere && !process.env.LOOKALIKE_KEEP_ES) {
    execFileSync('bash', [path.join(root, 'scripts/elasticsearch/stop.sh')], { stdio: 'inherit' });
  }
}

function isUp(port: string): boolean {
  try {
    execFileSync('curl', ['-sf', `http://127.0.0.1:${port}/`], { stdio: 'ignore', timeout: 3000 });
    return true;
  } catch {
    return false;
  }
}
