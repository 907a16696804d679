/** A point in image pixels (x to the right, y down). */
export interface Point {
  x: number;
  y: number;
}

/**
 * A text line's region as a parallelogram: `origin` is the top-left corner as the text reads, `along` runs to
 * the end of the line and `across` from its top to its bottom. Rotated text has rotated vectors.
 */
export interface TextBox {
  origin: Point;
  along: Point;
  across: Point;
  /** Mean text probability of the detector over the region, 0..1. */
  score: number;
}

/** An RGB image, 3 bytes a pixel, row by row. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decoded pixels as sharp's raw output gives them: 1 (grey), 2 (grey and alpha), 3 (RGB) or 4 (RGBA) bytes
 * a pixel, row by row, upright, sRGB.
 */
export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** The cheap test's answer: whether an image is worth reading, and what decided it. */
export interface GateVerdict {
  worth: boolean;
  /** Text boxes the detector found in the small copy (not run when the copy is flat enough alone). */
  boxes: number;
  /** Share of the small copy in its most common colour. */
  flat: number;
}

export interface OcrLine {
  text: string;
  /** Mean probability of the recognised characters, 0..1. */
  confidence: number;
  box: TextBox;
}

/** What OCR found in one image, and why it stopped early when it did. */
export interface OcrResult {
  /** The lines in reading order, joined with newlines; empty when no text was found. */
  text: string;
  /** Mean confidence of the kept lines weighted by their length, 0 when none. */
  confidence: number;
  lines: OcrLine[];
  /** The cheap test's answer: `no-text` when the small copy showed nothing worth reading. */
  gate: 'text' | 'no-text';
  /** The size the image was read at (huge images are read smaller); absent when it was not read. */
  readAt?: { width: number; height: number };
}
