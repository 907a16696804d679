import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ServiceError } from '../../util/errors.js';
import { StoreDatabase, type Synchronous } from './database.js';
import { defaultAnnSettings, type AnnSettings } from './ivf.js';
import { EmbeddedStore } from './store.js';

export type { AnnSettings } from './ivf.js';
export { EmbeddedStore } from './store.js';

export interface EmbeddedStoreOptions {
  /** LOOKALIKE_DATA_DIR: the store lives in `<dataDir>/store/<index>.sqlite`. */
  dataDir: string;
  index: string;
  /** Threads for scanning a large partition (small ones use one). */
  threads: number;
  /** FULL (default) also survives power loss; NORMAL survives a killed process. See bench/embedded-store.md. */
  synchronous?: Synchronous;
  /** The approximate index of large partitions (threshold, probes); defaults measured in bench/scale-embedded.md. */
  ann?: Partial<AnnSettings>;
}

export function embeddedStoreFile(dataDir: string, index: string): string {
  return path.join(dataDir, 'store', `${index}.sqlite`);
}

/** Opens (creating when missing) the embedded store and loads its vectors into memory. */
export async function createEmbeddedStore(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const file = embeddedStoreFile(options.dataDir, options.index);
  let db: StoreDatabase | undefined;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    db = new StoreDatabase(file, options.synchronous ?? 'FULL');
    return new EmbeddedStore(db, options.index, options.threads, { ...defaultAnnSettings, ...options.ann });
  } catch (error) {
    db?.close();
    const message = error instanceof Error ? error.message : String(error);
    throw new ServiceError('embedded store', `cannot open ${file}: ${message}`, { cause: error });
  }
}
