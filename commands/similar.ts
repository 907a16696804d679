import path from 'node:path';
import { prepareQuery } from '../src/bot/query.js';
import { answerQuery } from '../src/bot/search-replies.js';
import { defineCommand, type RequestContext } from '../src/bot/command.js';
import type { ImageRef } from '../src/bot/types.js';
import { downloadSettings } from '../src/net/download.js';
import { downloadImage } from '../src/search/image-url.js';
import { InputError, refusal } from '../src/util/errors.js';

export const similar = defineCommand({
  spec: {
    name: 'similar',
    description: 'Find images that look like a picture',
    permission: 'everyone',
    placement: 'own',
    options: [
      { name: 'image', description: 'The picture to match', type: 'image' },
      { name: 'url', description: 'Or a link to the picture', type: 'string', maxLength: 2000 },
      {
        name: 'result',
        description: 'Or a result to match: its number (e.g. 2) or its image id',
        type: 'string',
        maxLength: 64,
      },
      {
        name: 'text',
        description: 'Words that adjust it: at night, -people, in:#trips, sort:date (the /find language)',
        type: 'string',
        maxLength: 500,
      },
      { name: 'count', description: 'How many results (1-20)', type: 'integer', min: 1, max: 20, default: 5 },
    ],
  },
  inference: true,
  async run(context) {
    const { request, options } = context;
    const given = [request.image, options.url, options.result].filter((x) => x !== undefined);
    if (given.length !== 1) {
      throw refusal(
        'similar',
        'Give exactly one picture to match: an attached image, a url, or a result (e.g. result:2).',
      );
    }
    const { label, vector } = await pictureVector(context, options);
    // The words adjust the picture's direction and bring the query language's filters, order and `all`.
    const words = options.text?.trim() ?? '';
    const query = await prepareQuery(context, words, vector);
    return answerQuery(context, {
      vector: query.vector!,
      title: words ? `images like ${label}, ${words}` : `images like ${label}`,
      count: query.parsed.count ?? options.count,
      shape: query.shape,
      // Only `text:"..."` asks for words in the images; descriptive words here steer the picture.
      ...(query.parsed.words !== undefined && query.text && { text: query.text }),
    });
  },
});

/** The one picture given: a result of the asker's last search, an attachment or a link. */
async function pictureVector(
  context: RequestContext,
  picture: { result?: string | undefined; url?: string | undefined },
): Promise<{ label: string; vector: Float32Array }> {
  if (picture.result !== undefined) {
    const { imageId, label } = await resultReference(context, picture.result);
    return { label, vector: await context.search.storedVector(imageId, context.scope) };
  }
  const image: ImageRef = context.request.image ?? { url: picture.url! };
  const input = await imageInput(context, image);
  return { label: input.name, vector: await context.search.imageVector(input) };
}

/** `2` or `#2`: the second result this person was shown last; anything else is taken as an image id. */
async function resultReference(
  context: RequestContext,
  text: string,
): Promise<{ imageId: string; label: string }> {
  const rank = /^#?(\d{1,3})$/.exec(text)?.[1];
  if (rank === undefined) return { imageId: text, label: text };
  const session = await context.sessions.latestOf(context.request.tenant, context.request.actor.id);
  const imageId = session?.shown[Number(rank) - 1];
  if (!session || imageId === undefined) {
    throw refusal('result', `There is no result #${rank} in your latest search here; search first.`);
  }
  return { imageId, label: `result #${rank} of ${session.title}` };
}

async function imageInput(
  context: RequestContext,
  image: ImageRef,
): Promise<{ name: string; bytes: Buffer }> {
  const { config, signal } = context;
  if ('bytes' in image) {
    if (image.bytes.length > config.LOOKALIKE_MAX_IMAGE_BYTES) {
      throw new InputError(image.name, `larger than the ${config.LOOKALIKE_MAX_IMAGE_BYTES} byte limit`);
    }
    return image;
  }
  const bytes = await downloadImage(image.url, {
    ...downloadSettings(config),
    allowedHosts: config.LOOKALIKE_ALLOWED_IMAGE_HOSTS,
    signal,
  });
  return { name: path.posix.basename(new URL(image.url).pathname) || 'image', bytes };
}
