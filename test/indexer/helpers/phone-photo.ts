import path from 'node:path';
import sharp from 'sharp';
import { fixtureImagesDir } from '../../helpers/bot.js';

/**
 * A fixture photo at 3200x2400 (large enough to be decoded once for the model and the thumbnail) as two JPEGs:
 * stored upright, and stored turned with EXIF orientation 6, as a phone held upright writes it.
 */
export async function largePhotoPair(): Promise<{ upright: Buffer; turned: Buffer }> {
  const photo = await sharp(path.join(fixtureImagesDir, 'photo-china.jpg'))
    .resize(3200, 2400, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: 3200, height: 2400, channels: 3 as const } };
  const upright = await sharp(photo.data, raw).jpeg({ quality: 92 }).toBuffer();
  const turned = await sharp(await sharp(photo.data, raw).rotate(270).jpeg({ quality: 92 }).toBuffer())
    .withMetadata({ orientation: 6 })
    .toBuffer();
  return { upright, turned };
}
