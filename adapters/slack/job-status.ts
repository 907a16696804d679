import type { IndexReport } from '../../src/indexer/types.js';
import type { ReplyHooks } from '../../src/bot/types.js';
import { formatIndexReport, formatProgress } from '../../src/render/report.js';
import { progressEdits } from '../shared/progress-edits.js';
import type { SlackContext, SlackOrigin } from './context.js';
import { ephemeral, type PostedMessage } from './deliver.js';
import { escapeMrkdwn } from './messages.js';

export interface JobStatus {
  hooks: ReplyHooks;
  /** The job's status message once posted (undefined: it could not be, or the reply was no job). */
  attach(message: PostedMessage | undefined, heading: string): void;
}

/**
 * A long job's progress in Slack: its status message is edited (chat.update) at most once per
 * `progressIntervalMs` with the newest progress, and finally replaced by the report. Progress that arrives
 * before the message is posted waits for it. Without a message the report reaches the asker ephemerally.
 */
export function jobStatus(deps: SlackContext, origin: SlackOrigin): JobStatus {
  let attach: (target: { message: PostedMessage; heading: string } | undefined) => void = () => undefined;
  const target = new Promise<{ message: PostedMessage; heading: string } | undefined>(
    (resolve) => (attach = resolve),
  );
  const edits = progressEdits({
    minIntervalMs: deps.progressIntervalMs,
    edit: async (text) => {
      const where = await target;
      if (where)
        await origin.client.chat.update({
          channel: where.message.channel,
          ts: where.message.ts,
          text: `${where.heading}\n${text}`,
        });
    },
    onError: (error) =>
      deps.logger.warn('could not edit a Slack status message', { channel: origin.channelId, error }),
  });
  const report = async (done: IndexReport) => {
    const text = escapeMrkdwn(formatIndexReport(done).join('\n'));
    if (await target) return edits.finish(text);
    await ephemeral(origin, text).catch((error: unknown) =>
      deps.logger.warn('could not deliver a job report in Slack', { channel: origin.channelId, error }),
    );
  };
  return {
    hooks: {
      onProgress: (progress) => edits.update(escapeMrkdwn(formatProgress(progress))),
      onJobDone: (done) => void report(done),
    },
    attach: (message, heading) => attach(message && { message, heading }),
  };
}
