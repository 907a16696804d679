/**
 * Button ids. Each carries who asked (only they may press it) and what the press means: the bot's page cursor
 * for "More", the result's image id for "Similar to #n". Discord caps ids at 100 characters; anything that does
 * not parse exactly is not ours and is refused.
 */
export type ButtonAction =
  { kind: 'more'; ownerId: string; cursor: string } | { kind: 'similar'; ownerId: string; imageId: string };

const prefix = 'lookalike';
const maxLength = 100;
const pattern = /^lookalike:(more|similar):(\d{1,20}):([A-Za-z0-9_.-]{1,64})$/;

/** The id for a button, or undefined when its value cannot travel in one (then the button is left out). */
export function encodeButton(action: ButtonAction): string | undefined {
  const value = action.kind === 'more' ? action.cursor : action.imageId;
  const id = `${prefix}:${action.kind}:${action.ownerId}:${value}`;
  return id.length <= maxLength && pattern.test(id) ? id : undefined;
}

export function decodeButton(customId: string): ButtonAction | undefined {
  const match = pattern.exec(customId);
  if (!match) return undefined;
  const [, kind, ownerId, value] = match as unknown as [string, 'more' | 'similar', string, string];
  return kind === 'more' ? { kind, ownerId, cursor: value } : { kind, ownerId, imageId: value };
}
