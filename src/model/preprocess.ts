import sharp from 'sharp';
import { InputError } from '../util/errors.js';
import { decodeOnceSize } from './decode-once.js';
import { centreCrop, insideOf, resizedSize, type Size, type Window } from './geometry.js';
import { readImageBytes, sniffImageFormat } from './image-bytes.js';
import type { ImagePlan } from './image-config.js';
import { axisCoefficients, resampleRgb } from './resample.js';
import type { DecodedPixels, ImageInput, PrepareOptions, PreparedImage } from './types.js';

type Sharp = ReturnType<typeof sharp>;
type Metadata = Awaited<ReturnType<Sharp['metadata']>>;

export interface ImageLimits {
  maxBytes: number;
  maxPixels: number;
}

/** An input whose header has been read and checked: what decoding needs, nothing decoded yet. */
interface ProbedImage {
  name: string;
  bytes: Buffer;
  /** Upright size (EXIF orientation applied) of the first frame. */
  size: Size;
  /** EXIF orientation, 1 (as stored) when absent. */
  orientation: number;
  cmyk: boolean;
  /**
   * For a large 3-channel sRGB JPEG: the upright size it is decoded to once (decode-once.ts), from which the
   * model's input is resized and which the caller may keep for a thumbnail. Null: decoded as before.
   */
  decodeOnce: Size | null;
}

/**
 * What turns pixels stored in EXIF orientation 2..8 upright, in sharp's order (flip and flop, then rotate).
 * Checked against sharp's own auto-orientation for every orientation (test/model/images.test.ts).
 */
const uprightTurns: Record<number, { angle: number; flip: boolean; flop: boolean }> = {
  2: { angle: 0, flip: false, flop: true },
  3: { angle: 180, flip: false, flop: false },
  4: { angle: 0, flip: true, flop: false },
  5: { angle: 90, flip: true, flop: false },
  6: { angle: 90, flip: false, flop: false },
  7: { angle: 90, flip: false, flop: true },
  8: { angle: 270, flip: false, flop: false },
};

/**
 * A decode failure (the file is bad, not our bug or resources) in a line for the report. libvips keeps one
 * error buffer for all its threads, so when two images fail at once one message can come out empty ("Unknown
 * error") or cut short before its detail: then the likely cause is said instead of nothing.
 */
export function describeDecodeFailure(error: unknown): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
  const said = line.replace(/:$/, '').trim();
  if (said === '' || said === 'Unknown error') return 'the file is damaged or incomplete';
  return said === line ? line : `${said} (the file is damaged or incomplete)`;
}

/**
 * CLIPImageProcessor in sharp: EXIF orientation, alpha composited on white, sRGB 8 bit, shortest edge resized to
 * the reference's size, centre crop at the reference's offsets, then (v * rescale - mean) / std into CHW float32.
 * The header is checked first (cheap), so refused inputs never reach the decoder.
 */
export class ImagePreprocessor {
  constructor(
    private readonly plan: ImagePlan,
    private readonly limits: ImageLimits,
  ) {}

  async prepare(input: ImageInput, options: PrepareOptions = {}): Promise<PreparedImage> {
    return this.decode(await this.probe(input), options.keepUpright ?? false);
  }

  /** Reads the bytes and the header; refuses empty, non-image, SVG, over-size and over-pixel inputs. */
  private async probe(input: ImageInput): Promise<ProbedImage> {
    const bytes = await readImageBytes(input, this.limits.maxBytes);
    await sniffImageFormat(input.name, bytes);
    let meta: Metadata;
    try {
      // Header only: no pixel limit here so an over-size image gets the clear message below.
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch (error) {
      throw new InputError(input.name, `cannot be decoded: ${describeDecodeFailure(error)}`);
    }
    const { width, height } = meta;
    if (!width || !height) throw new InputError(input.name, 'cannot be decoded: no image size in the header');
    if (width * height > this.limits.maxPixels) {
      throw new InputError(
        input.name,
        `too many pixels: ${width}x${height} (limit ${this.limits.maxPixels.toLocaleString('en')}, LOOKALIKE_MAX_IMAGE_PIXELS)`,
      );
    }
    const orientation = meta.orientation ?? 1;
    const sideways = orientation >= 5;
    const size = sideways ? { width: height, height: width } : { width, height };
    const plainJpeg = meta.format === 'jpeg' && meta.space === 'srgb' && meta.channels === 3;
    return {
      name: input.name,
      bytes,
      size,
      orientation: uprightTurns[orientation] ? orientation : 1,
      cmyk: meta.space === 'cmyk',
      decodeOnce: plainJpeg ? decodeOnceSize(size, resizedSize(size, this.plan)) : null,
    };
  }

  /** Decodes, resizes and crops, then normalises into CHW float32; keeps the decoded-once pixels if asked. */
  private async decode(probed: ProbedImage, keepUpright: boolean): Promise<PreparedImage> {
    const target = resizedSize(probed.size, this.plan);
    const window = centreCrop(target, this.plan);
    const inside = insideOf(window, target);
    const pixels = new Float32Array(3 * window.width * window.height);
    let upright: DecodedPixels | undefined;
    try {
      let crop: Buffer = Buffer.alloc(0);
      if (probed.decodeOnce) {
        upright = await this.decodeOnce(probed, probed.decodeOnce);
        const raw = sharp(upright.data, {
          raw: { width: upright.width, height: upright.height, channels: 3 },
        });
        if (inside) crop = await this.resizedCrop(raw, upright, target, inside);
      } else if (inside) crop = await this.cropRgb(probed, target, inside);
      this.normalise(crop, inside ?? { left: 0, top: 0, width: 0, height: 0 }, window, pixels);
    } catch (error) {
      throw new InputError(probed.name, `cannot be decoded: ${describeDecodeFailure(error)}`);
    }
    const { width, height } = probed.size;
    return { name: probed.name, pixels, width, height, ...(keepUpright && upright && { upright }) };
  }

  /**
   * A large JPEG decoded once, upright, to `size` (twice the model's resized input): libjpeg shrinks it while
   * decoding (the entropy decoding, most of the cost, happens once), the turn of a photo stored turned comes
   * after the resize (sharp swaps the axes, no extract follows), then one resampling to `size`. The model's
   * input is resized from these pixels, and the indexer makes its thumbnail from them instead of decoding the
   * JPEG a second time (bench/phone-photos.md).
   */
  private async decodeOnce(probed: ProbedImage, size: Size): Promise<DecodedPixels> {
    const decoded = sharp(probed.bytes, {
      failOn: 'truncated',
      limitInputPixels: this.limits.maxPixels,
      autoOrient: true,
    })
      .resize(size.width, size.height, { kernel: this.plan.kernel, fit: 'fill', fastShrinkOnLoad: true })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' });
    return { data: await exact(decoded, size, 3), ...size, channels: 3 };
  }

  /** The RGB pixels of `inside`, a window of the image resized to `target`. */
  private async cropRgb(probed: ProbedImage, target: Size, inside: Window): Promise<Buffer> {
    const { size } = probed;
    const { kernel } = this.plan;
    if (target.width > size.width || target.height > size.height) {
      // Enlarging: Pillow's resampler in JS over the few source pixels the window needs.
      const cols = axisCoefficients(size.width, target.width, inside.left, inside.width, kernel);
      const rows = axisCoefficients(size.height, target.height, inside.top, inside.height, kernel);
      const region = { left: cols.lo, top: rows.lo, width: cols.hi - cols.lo, height: rows.hi - rows.lo };
      return resampleRgb(await this.uprightRgb(probed, region), cols, rows);
    }
    const turns = uprightTurns[probed.orientation];
    if (turns && !probed.cmyk) return this.shrinkThenTurn(probed, target, inside, turns);
    // Shrinking: libvips, one job from the encoded bytes (or from raw RGB for CMYK) to the cropped pixels.
    const source = probed.cmyk
      ? sharp(await this.uprightRgb(probed, { left: 0, top: 0, ...size }), { raw: { ...size, channels: 3 } })
      : this.uprightSrgb(probed);
    return this.resizedCrop(source, size, target, inside);
  }

  /** The RGB pixels of `inside`, a window of `source` (of upright size `size`) resized to `target`. */
  private resizedCrop(source: Sharp, size: Size, target: Size, inside: Window): Promise<Buffer> {
    const resized =
      target.width === size.width && target.height === size.height
        ? source
        : source.resize(target.width, target.height, {
            kernel: this.plan.kernel,
            fit: 'fill',
            fastShrinkOnLoad: false,
          });
    return exact(resized.extract(inside).removeAlpha().raw({ depth: 'uchar' }), inside, 3);
  }

  /**
   * A shrink of a turned image (a phone photo taken upright: EXIF orientation 6) done as stored, then turned:
   * turning first would decode all 12 MP and rotate them before shrinking, about 10x slower, because libvips
   * shrinks a JPEG on load only when nothing comes before the resize. Resizing commutes with the turn (each
   * axis is resampled on its own), and sharp still leaves the final resize at least a factor of two
   * (bench/phone-photos.md).
   */
  private async shrinkThenTurn(
    probed: ProbedImage,
    target: Size,
    inside: Window,
    turns: { angle: number; flip: boolean; flop: boolean },
  ): Promise<Buffer> {
    const stored = turns.angle % 180 === 0 ? target : { width: target.height, height: target.width };
    const shrunk = await exact(
      sharp(probed.bytes, { failOn: 'truncated', limitInputPixels: this.limits.maxPixels })
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .resize(stored.width, stored.height, {
          kernel: this.plan.kernel,
          fit: 'fill',
          fastShrinkOnLoad: false,
        })
        .removeAlpha()
        .raw({ depth: 'uchar' }),
      stored,
      3,
    );
    let upright = sharp(shrunk, { raw: { ...stored, channels: 3 } });
    if (turns.flip) upright = upright.flip();
    if (turns.flop) upright = upright.flop();
    if (turns.angle) upright = upright.rotate(turns.angle);
    return exact(upright.extract(inside).raw(), inside, 3);
  }

  /** Upright sRGB, alpha composited on white, 8 bit (16-bit input is shifted down, as v >> 8). */
  private uprightSrgb(probed: ProbedImage): Sharp {
    // failOn 'truncated': a cut-off file fails, while harmless warnings (extra bytes after a JPEG) pass as in PIL.
    return sharp(probed.bytes, { failOn: 'truncated', limitInputPixels: this.limits.maxPixels })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb');
  }

  /** Upright RGB pixels of `region`; CMYK through Pillow's profile-free formula, as the reference converts it. */
  private async uprightRgb(probed: ProbedImage, region: Window): Promise<Buffer> {
    if (!probed.cmyk)
      return exact(this.uprightSrgb(probed).extract(region).removeAlpha().raw({ depth: 'uchar' }), region, 3);
    const cmyk = sharp(probed.bytes, { failOn: 'truncated', limitInputPixels: this.limits.maxPixels })
      .rotate()
      .extract(region)
      // Keep the decoded CMYK values as they are: no profile round trip.
      .pipelineColourspace('cmyk')
      .toColourspace('cmyk')
      .raw({ depth: 'uchar' });
    const { data, info } = await cmyk.toBuffer({ resolveWithObject: true });
    return cmykToRgb(data, region.width * region.height, info.channels);
  }

  /** Writes the `inside` pixels (RGB, row-major) into the CHW output at their place in `window`; the rest is 0. */
  private normalise(rgb: Buffer, inside: Window, window: Window, out: Float32Array): void {
    const plane = window.width * window.height;
    const [r, g, b] = this.plan.lookup;
    // Outside the image transformers pads with value 0 before rescaling.
    out.fill(r[0] as number, 0, plane);
    out.fill(g[0] as number, plane, 2 * plane);
    out.fill(b[0] as number, 2 * plane, 3 * plane);
    const dx = inside.left - window.left;
    const dy = inside.top - window.top;
    for (let y = 0; y < inside.height; y++) {
      let src = y * inside.width * 3;
      let dst = (y + dy) * window.width + dx;
      for (let x = 0; x < inside.width; x++, src += 3, dst++) {
        out[dst] = r[rgb[src] as number] as number;
        out[dst + plane] = g[rgb[src + 1] as number] as number;
        out[dst + 2 * plane] = b[rgb[src + 2] as number] as number;
      }
    }
  }
}

/** Runs a raw pipeline and checks it produced `size` with `channels` channels. */
async function exact(pipeline: Sharp, size: Size, channels: number): Promise<Buffer> {
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  if (info.channels !== channels || info.width !== size.width || info.height !== size.height) {
    throw new Error(`unexpected decoder output ${info.width}x${info.height}x${info.channels}`);
  }
  return data;
}

/** Pillow's cmyk2rgb: r = (255 - k) - c * (255 - k) / 255 with its integer rounding, per pixel. */
export function cmykToRgb(data: Buffer, pixels: number, stride: number): Buffer {
  const rgb = Buffer.alloc(pixels * 3);
  const mulDiv255 = (a: number, b: number) => {
    const t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  };
  for (let i = 0, p = 0, q = 0; i < pixels; i++, p += stride, q += 3) {
    const nk = 255 - (data[p + 3] as number);
    rgb[q] = nk - mulDiv255(data[p] as number, nk);
    rgb[q + 1] = nk - mulDiv255(data[p + 1] as number, nk);
    rgb[q + 2] = nk - mulDiv255(data[p + 2] as number, nk);
  }
  return rgb;
}
