import type { InputError } from '../util/errors.js';

/** An image to embed: raw bytes with a name for messages, or a path on disk. */
export type ImageInput = { name: string; bytes: Buffer } | { name: string; path: string };

/** Decoded 8-bit pixels, row-major, channels interleaved. */
export interface DecodedPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

export interface PrepareOptions {
  /** Return the upright pixels the image was decoded to, when it was decoded once (PreparedImage.upright). */
  keepUpright?: boolean;
}

/** A decoded, resized, normalised image ready for the vision model (CHW float32). */
export interface PreparedImage {
  name: string;
  pixels: Float32Array;
  /** Size of the source image after EXIF orientation, before resizing. */
  width: number;
  height: number;
  /**
   * Only when asked (PrepareOptions.keepUpright) and the image is a large JPEG: the upright sRGB pixels it was
   * decoded to, shrunk on load to twice the model's input, from which that input was made. A caller that also
   * needs a small copy (the indexer's thumbnail) makes it from these instead of decoding the bytes again.
   */
  upright?: DecodedPixels;
}

/** Per-input outcome: a vector, or the reason this input could not be embedded. */
export type EmbedOutcome = Float32Array | InputError;

export interface Embedder {
  readonly modelId: string;
  readonly dims: number;
  /** Decode + preprocess one image (throws InputError naming the input). CPU work, safe to run concurrently. */
  prepareImage(input: ImageInput, options?: PrepareOptions): Promise<PreparedImage>;
  /** Run the vision model on prepared images in one batch; vectors L2-normalised. */
  embedPrepared(images: PreparedImage[]): Promise<Float32Array[]>;
  /** Prepare + embed; a bad input yields its InputError in its slot and never stops the batch. */
  embedImages(inputs: ImageInput[]): Promise<EmbedOutcome[]>;
  /** Tokenise + embed texts in one batch (multilingual encoder when configured); L2-normalised. */
  embedTexts(texts: string[]): Promise<EmbedOutcome[]>;
  close(): Promise<void>;
}
