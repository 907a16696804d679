/**
 * The buttons under a results message. Slack wants action ids unique within a message, so "Similar to #n"
 * carries its rank in the id and the result's image id in the value; "More" carries the bot's page cursor.
 * A value is checked before it is used: anything not shaped like an id this bot makes is refused. Which
 * results a value can reach is the bot's business: cursors and image ids only resolve within the clicker's
 * own workspace (tenant), so a button copied to another workspace shows nothing of the first.
 */
export const moreActionId = 'lookalike.more';
export const similarActionPattern = /^lookalike\.similar\.\d{1,3}$/;
export const similarActionId = (rank: number): string => `lookalike.similar.${rank}`;

const valuePattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** The button's value when it is one this bot could have made, else undefined. */
export function buttonValue(value: unknown): string | undefined {
  return typeof value === 'string' && valuePattern.test(value) ? value : undefined;
}
