// Leases inside one process (the embedded store's): the same rules as the Elasticsearch ones (test/cluster).
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LeaseHeldError, leasesOn } from '../../src/store/leases/hold.js';
import { memoryLeaseBackend } from '../../src/store/leases/memory.js';

describe('leases (in memory)', () => {
  it('hold a key for one holder at a time, renewing until released', async () => {
    const backend = memoryLeaseBackend();
    const a = leasesOn(backend, 300, 'A');
    const b = leasesOn(backend, 300, 'B');
    const lease = await a.acquire('k');
    await new Promise((resolve) => setTimeout(resolve, 700)); // past two TTLs: renewals kept it
    await expect(b.acquire('k')).rejects.toThrow(LeaseHeldError);
    await expect(b.acquire('k')).rejects.toThrow(/k: is being indexed by A since/);
    await lease.release();
    const taken = await b.acquire('k');
    expect(taken.lost.aborted).toBe(false);
    await b.close();
    await (await a.acquire('k')).release();
  });

  it('fires `lost` when another holder took the key over', async () => {
    const backend = memoryLeaseBackend();
    const lease = await leasesOn(backend, 300, 'A').acquire('k');
    // B takes over as if A's lease had expired (its clock says so).
    await backend.take('k', { holder: 'B', since: '', expiresAt: Infinity }, Infinity);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(lease.lost.aborted).toBe(true);
    expect(String(lease.lost.reason)).toMatch(
      /lost its claim on this source \(another process took it over\)/,
    );
    await lease.release();
  });

  it('lets a run on this machine take over at once from a holder whose process is gone', async () => {
    const backend = memoryLeaseBackend();
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // exited before we go on
    await leasesOn(backend, 60_000, `${hostname()} (pid ${dead})`).acquire('dead');
    await (await leasesOn(backend, 60_000).acquire('dead')).release();
    // A live holder (this very process, as another run in it would be) keeps its key.
    await leasesOn(backend, 60_000).acquire('alive');
    await expect(leasesOn(backend, 60_000).acquire('alive')).rejects.toThrow(LeaseHeldError);
  });
});
