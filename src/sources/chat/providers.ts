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
 * Providers of the adapters running in this process. Commands live above the adapters and cannot import
 * them, so an adapter registers its provider when it connects and removes it when it stops.
 */
const providers = new Set<ChatHistoryProvider>();

export function registerChatHistory(provider: ChatHistoryProvider): () => void {
  providers.add(provider);
  return () => void providers.delete(provider);
}

export function chatHistoryFor(tenant: string): ChatHistoryProvider | undefined {
  return [...providers].find((p) => p.serves(tenant));
}
