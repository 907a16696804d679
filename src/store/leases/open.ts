import type { Config } from '../../config/schema.js';
import { storeBackend } from '../open.js';
import { leasesOn } from './hold.js';
import { memoryLeaseBackend } from './memory.js';
import type { Leases } from './types.js';

/**
 * The leases that go with the configured store: in Elasticsearch beside the index (shared by every process
 * and machine on it), or inside this process for the embedded store. Connects on first use.
 */
export async function openLeases(config: Config): Promise<Leases> {
  const ttlMs = config.LOOKALIKE_LEASE_TTL_MS;
  if (storeBackend(config) !== 'elasticsearch') return leasesOn(memoryLeaseBackend(), ttlMs);
  const [{ Client }, { clientOptions, describeTarget }, { elasticsearchLeaseBackend }] = await Promise.all([
    import('@elastic/elasticsearch'),
    import('../elasticsearch/connect.js'),
    import('../elasticsearch/leases.js'),
  ]);
  const client = new Client(clientOptions(config));
  return leasesOn(elasticsearchLeaseBackend(client, config.LOOKALIKE_INDEX, describeTarget(config)), ttlMs);
}
