import type { CommandRequest, ImageRef } from '../../src/bot/types.js';
import { apology } from '../../src/bot/errors.js';
import { InputError } from '../../src/util/errors.js';
import type { SlackContext, SlackOrigin } from './context.js';
import { deliverReply, ephemeral } from './deliver.js';
import type { SlackFile } from './files.js';
import { jobStatus } from './job-status.js';
import { slackText } from './messages.js';

/** Slack takes files up to 1 GB; a contact sheet is far below, so nothing needs shrinking. */
const slackUploadLimitBytes = 1024 * 1024 * 1024;

/** A command as a listener understood it; a Slack file to match is downloaded here. */
export interface CommandInput {
  command: string;
  options: CommandRequest['options'];
  file?: SlackFile;
}

/**
 * One request from Slack, after its listener has acknowledged it: work out the input (a bad one is answered
 * ephemerally), who asks (admin?), what they may see, fetch the image, let the bot answer, deliver the answer.
 * Never throws: whatever fails is told to the asker privately and logged.
 */
export async function respondToRequest(
  deps: SlackContext,
  origin: SlackOrigin,
  prepare: () => CommandInput | Promise<CommandInput>,
): Promise<void> {
  const job = jobStatus(deps, origin);
  try {
    const input = await prepare();
    const [isAdmin, visibility, image] = await Promise.all([
      deps.isAdmin(origin.client, origin.teamId, origin.userId),
      deps.visibleChannels(origin),
      input.file ? imageOf(deps, origin, input.file) : undefined,
    ]);
    const request: CommandRequest = {
      command: input.command,
      options: input.options,
      actor: { id: origin.userId, isAdmin },
      tenant: origin.teamId,
      channelId: origin.channelId,
      visibleChannels: visibility.channels,
      uploadLimitBytes: slackUploadLimitBytes,
      ...(image ? { image } : {}),
    };
    const reply = await deps.bot.handle(request, job.hooks);
    const posted = await deliverReply(origin, reply, deps.bot.commands, deps.logger, visibility);
    if (reply.kind === 'job') job.attach(posted, slackText(reply.text, deps.bot.commands));
  } catch (error) {
    await reportFailure(deps, origin, error);
  } finally {
    job.attach(undefined, '');
  }
}

/** The file's bytes; an event may leave a file's details out (`check_file_info`), files.info has them. */
async function imageOf(deps: SlackContext, origin: SlackOrigin, file: SlackFile): Promise<ImageRef> {
  const complete =
    file.url_private || file.url_private_download
      ? file
      : ((await origin.client.files.info({ file: file.id })).file as SlackFile | undefined);
  if (!complete) throw new InputError(file.id, 'Slack has no details of this file');
  return deps.fetchFile(complete);
}

async function reportFailure(deps: SlackContext, origin: SlackOrigin, error: unknown): Promise<void> {
  const where = { team: origin.teamId, channel: origin.channelId, user: origin.userId };
  let text: string;
  if (error instanceof InputError) {
    text = `:warning: ${slackText(error.sentence, deps.bot.commands)}`;
  } else {
    deps.logger.error('Slack request failed', { ...where, error });
    text = `:warning: ${apology}`;
  }
  await ephemeral(origin, text).catch((failure: unknown) =>
    deps.logger.warn('could not tell a Slack user about a failure', { ...where, error: failure }),
  );
}
