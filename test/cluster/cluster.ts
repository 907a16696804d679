// Drives the local 3-node cluster of scripts/elasticsearch/cluster.sh from the fault tests: which node is
// master, which hold the index, kill one, start it again. No vitest imports (also used by global setup).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@elastic/elasticsearch';

const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'scripts/elasticsearch/cluster.sh');
const run = promisify(execFile);

export type NodeNumber = 1 | 2 | 3;
export const nodeNumbers: readonly NodeNumber[] = [1, 2, 3];

/** Runs `cluster.sh <args>` without blocking the event loop (searches keep running meanwhile). */
export async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [script, ...args], { maxBuffer: 10_000_000 });
  return stdout.trim();
}

/** The cluster's node URLs, comma-separated, as ELASTICSEARCH_URL takes them. */
export function clusterUrl(): string {
  const url = process.env.ELASTICSEARCH_URL;
  if (!url?.includes(',')) {
    throw new Error(
      'the cluster tests need the 3-node cluster (npm run test:cluster starts it); ELASTICSEARCH_URL is ' +
        (url ?? 'unset'),
    );
  }
  return url;
}

/** A client that knows every node, so it keeps working while one is down. */
export const clusterClient = () => new Client({ nodes: clusterUrl().split(','), maxRetries: 3 });

const numberOf = (nodeName: string) => Number(nodeName.replace(/^es-/, '')) as NodeNumber;

export async function masterNode(client: Client): Promise<NodeNumber> {
  const [master] = await client.cat.master({ format: 'json', h: 'node' });
  return numberOf(String(master?.node));
}

/** Nodes holding a started copy (primary or replica) of the index behind `alias`. */
export async function nodesHolding(client: Client, alias: string): Promise<NodeNumber[]> {
  const shards = await client.cat.shards({ index: alias, format: 'json', h: 'node,state' });
  return shards.filter((s) => s.state === 'STARTED' && s.node).map((s) => numberOf(String(s.node)));
}

export async function primaryNode(client: Client, alias: string): Promise<NodeNumber> {
  const shards = await client.cat.shards({ index: alias, format: 'json', h: 'node,prirep,state' });
  const primary = shards.find((s) => s.prirep === 'p' && s.state === 'STARTED');
  if (!primary?.node) throw new Error(`no started primary of ${alias}`);
  return numberOf(String(primary.node));
}

export const killNode = (n: NodeNumber) => cluster('kill', String(n));
export const startNode = (n: NodeNumber) => cluster('node-start', String(n));
/** Starts every node that is not running and waits for 3 nodes and green. */
export const healCluster = () => cluster('start');
