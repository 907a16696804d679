import type { InputError } from '../util/errors.js';

/** An image to embed: raw bytes with a name for messages, or a path on disk. */
export type ImageInput = { name: string; bytes: Buffer } | { name: string; path: string };

/** A decoded, resized, normalised image ready for the vision model (CHW float32). */
export interface PreparedImage {
  name: string;
  pixels: Float32Array;
  /** Size of the source image after EXIF orientation, before resizing. */
  width: number;
  height: number;
}

/** Per-input outcome: a vector, or the reason this input could not be embedded. */
export type EmbedOutcome = Float32Array | InputError;

export interface Embedder {
  readonly modelId: string;
  readonly dims: number;
  /** Decode + preprocess one image (throws InputError naming the input). CPU work, safe to run concurrently. */
  prepareImage(input: ImageInput): Promise<PreparedImage>;
  /** Run the vision model on prepared images in one batch; vectors L2-normalised. */
  embedPrepared(images: PreparedImage[]): Promise<Float32Array[]>;
  /** Prepare + embed; a bad input yields its InputError in its slot and never stops the batch. */
  embedImages(inputs: ImageInput[]): Promise<EmbedOutcome[]>;
  /** Tokenise + embed texts in one batch (multilingual encoder when configured); L2-normalised. */
  embedTexts(texts: string[]): Promise<EmbedOutcome[]>;
  close(): Promise<void>;
}
