/** Who holds a lease, for the message a refused run gets. */
export interface Holder {
  holder: string;
  /** When the holder took it (ISO 8601). */
  since: string;
}

/** A held lease: renewed in the background until released; `lost` fires if renewal fails past expiry. */
export interface Lease {
  readonly key: string;
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * Named leases across processes and machines: one holder per key at a time, expiring `ttlMs` after the
 * holder's last renewal, so a holder that dies (SIGKILL, power cut) frees the key without anyone's help.
 */
export interface Leases {
  /** Takes the key, or throws LeaseHeldError naming the current holder. */
  acquire(key: string): Promise<Lease>;
  /** Live leases whose key starts with `prefix`, whichever process holds them (for status). */
  running(prefix: string): Promise<(Holder & { key: string })[]>;
  close(): Promise<void>;
}

/** What a backend stores per key: the holder, and an opaque version that a conditional write must match. */
export interface LeaseRecord extends Holder {
  expiresAt: number;
}

/** The few conditional operations a backend provides; src/store/leases/hold.ts builds leases from them. */
export interface LeaseBackend {
  /** Writes the record if the key is free or expired; returns the new version, or the live holder. */
  take(key: string, record: LeaseRecord, now: number): Promise<{ version: string } | { held: LeaseRecord }>;
  /** Extends the record if it still has `version`; undefined when someone else took the key meanwhile. */
  renew(key: string, record: LeaseRecord, version: string): Promise<string | undefined>;
  /** Unexpired records whose key starts with `prefix`. */
  list(prefix: string, now: number): Promise<(LeaseRecord & { key: string })[]>;
  /** Deletes the record if it still has `version`. */
  drop(key: string, version: string): Promise<void>;
  close(): Promise<void>;
}
