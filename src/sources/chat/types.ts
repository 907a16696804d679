/** Which chat channel a history source walks, and how far back. */
export interface ChatChannelSpec {
  /** Guild / workspace id: the tenant the images belong to. */
  tenant: string;
  channelId: string;
  /** Only messages posted at or after this time (ISO 8601); the whole history when absent. */
  since?: string;
}

/** `discord:<channel id>` / `slack:<channel id>`: the documents' `source`, one per channel. */
export const chatSourceId = (platform: 'discord' | 'slack', channelId: string): string =>
  `${platform}:${channelId}`;

/**
 * The key of one image of a message: `<message id>/<attachment or file id>`. It is also stored as the
 * document's relative path, so a deleted message's images can be found by prefix.
 */
export const chatItemKey = (messageId: string, imageId: string): string => `${messageId}/${imageId}`;

/** The message an image key belongs to. */
export const chatMessageOf = (key: string): string => key.slice(0, key.indexOf('/'));
