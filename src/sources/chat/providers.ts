import type { ImageSource } from '../types.js';
import type { ChatChannelSpec } from './types.js';

/** What a connected chat adapter offers for indexing its channels' history. */
export interface ChatHistoryProvider {
  readonly platform: string;
  /** Whether this connection serves the tenant (the guild / workspace is one it is in). */
  serves(tenant: string): boolean;
  /** The tenant's channel a person named (a mention, an id or a name); an InputError when there is none. */
  resolveChannel(tenant: string, text: string): Promise<{ id: string; name: string }>;
  open(spec: ChatChannelSpec): ImageSource;
}

/**
 * The history providers of the adapters connected to one bot. Commands live above the adapters and cannot
 * import them, so the composition root hands one instance to the bot and to each adapter, which adds its
 * provider when it connects and removes it when it stops.
 */
export class ChatHistoryProviders {
  private readonly providers = new Set<ChatHistoryProvider>();

  /** Adds a connected adapter's provider; returns its removal. */
  add(provider: ChatHistoryProvider): () => void {
    this.providers.add(provider);
    return () => void this.providers.delete(provider);
  }

  for(tenant: string): ChatHistoryProvider | undefined {
    return [...this.providers].find((p) => p.serves(tenant));
  }
}
