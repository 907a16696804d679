import type { Bot } from '../../src/bot/types.js';
import type { Logger } from '../../src/util/log.js';
import type { ImageLimits } from './images.js';
import type { VisibleChannels } from './request.js';

/** What every interaction handler needs. */
export interface DiscordContext {
  bot: Bot;
  logger: Logger;
  adminRoleId: string | undefined;
  imageLimits: ImageLimits;
  /** Total bytes of files in one reply. */
  uploadBudgetBytes: number;
  /** Least time between two edits of a job's status message. */
  progressIntervalMs: number;
  visibleChannels: VisibleChannels | undefined;
}
