import type { webApi } from '@slack/bolt';
import type { Config } from '../../src/config/schema.js';
import type { Logger } from '../../src/util/log.js';
import { cachedLookup } from './cache.js';

/** How long a user group's member list is trusted before Slack is asked again. */
const membersTtlMs = 60_000;

export type AdminCheck = (client: webApi.WebClient, teamId: string, userId: string) => Promise<boolean>;

/**
 * Who may run admin commands: the users in SLACK_ADMIN_USER_IDS, and the members of the user group
 * SLACK_ADMIN_USERGROUP_ID (read with usergroups.users.list, cached briefly per workspace). When Slack cannot
 * be asked, the person is not an admin, and the reason is logged.
 */
export function slackAdmins(config: Config, logger: Logger): AdminCheck {
  const listed = new Set(config.SLACK_ADMIN_USER_IDS);
  const usergroup = config.SLACK_ADMIN_USERGROUP_ID;
  const members = cachedLookup(
    membersTtlMs,
    ({ teamId }: { client: webApi.WebClient; teamId: string; usergroup: string }) => teamId,
    async ({ client, usergroup }) => new Set((await client.usergroups.users.list({ usergroup })).users ?? []),
  );
  return async (client, teamId, userId) => {
    if (listed.has(userId)) return true;
    if (!usergroup) return false;
    try {
      return (await members({ client, teamId, usergroup })).has(userId);
    } catch (error) {
      logger.warn('could not read the Slack admin user group', { usergroup, teamId, error });
      return false;
    }
  };
}
