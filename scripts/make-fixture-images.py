#!/usr/bin/env python3
"""Generate the committed image and text fixtures under test/fixtures/.

Deterministic for a given --seed and the library versions pinned in
scripts/requirements-export.txt (JPEG/WebP encoders may differ by a byte
between library versions; regenerate and recompute expected.json together).

Writes:
  images/            inputs the indexer meets: real photos and the bad-input set
  derived/           copies of a photo for search tests (rotated 90 degrees, 50%)
  texts.json         query texts (English, empty, long, emoji, CJK, Cyrillic, Arabic, ...)
  manifest.json      what each file is for and whether decoding it should succeed
  README.md          provenance and licences of the photos

Photos come from pip packages, nothing is downloaded:
  scikit-learn  sklearn/datasets/images/china.jpg, flower.jpg (CC BY 2.0)
  scikit-image  skimage/data/chelsea.png (cat), coffee.png (CC0)

Run:  /root/pyref/bin/python scripts/make-fixture-images.py [--out test/fixtures] [--seed 1234]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parent.parent


def sklearn_image(name: str) -> Path:
    import sklearn

    return Path(sklearn.__file__).parent / "datasets" / "images" / name


def skimage_image(name: str) -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data" / name


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int, height: int) -> bytes:
    """A valid-looking PNG whose IHDR declares width x height RGB (8 bit) with only a few rows of data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = (b"\x00" + b"\x00" * (width * 3)) * 8  # filter byte + 8 black rows
    idat = zlib.compress(rows, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", **kw)
    return buf.getvalue()


LONG_TEXT = (
    "A long and winding description of a photograph taken early in the morning on a quiet street in an old "
    "European town, where the cobblestones are still wet from the rain that fell during the night, a baker is "
    "carrying trays of fresh bread into a small shop with a green door, two cats are sleeping on a windowsill "
    "full of red geraniums, an elderly man on a bicycle waves to a child holding a yellow balloon, and in the "
    "distance the bells of a church tower ring while pigeons rise into a pale blue sky over the tiled roofs, "
    "and this sentence keeps going so that it is far longer than the seventy-seven tokens a CLIP text encoder accepts."
)

TEXTS = [
    {"id": "en-simple", "text": "a photo of a cat", "note": "plain English"},
    {"id": "en-scene", "text": "Snowy mountain at sunrise, with a red cabin in the foreground!", "note": "mixed case and punctuation"},
    {"id": "empty", "text": "", "note": "empty query: only start and end tokens"},
    {"id": "whitespace", "text": "   many\tspaces \n and\u00a0newlines   ", "note": "tabs, newlines, NBSP, leading/trailing blanks"},
    {"id": "long", "text": LONG_TEXT, "note": "far over 77 tokens: truncated, end token kept"},
    {"id": "emoji", "text": "\U0001F431 cat with a \u2615 coffee cup \U0001F389\U0001F389", "note": "emoji (byte-level BPE)"},
    {"id": "zh", "text": "一只猫坐在咖啡杯旁边", "note": "Chinese"},
    {"id": "ru", "text": "Кошка сидит рядом с чашкой кофе", "note": "Russian"},
    {"id": "ar", "text": "قطة تجلس بجانب فنجان قهوة", "note": "Arabic"},
    {"id": "special-token", "text": "a red flower <|endoftext|> a blue car", "note": "literal end token inside user text"},
    {"id": "nfd-accents", "text": "Cafe\u0301 cre\u0300me bru\u0302le\u0301e \u2014 de\u0301ja\u0300 vu", "note": "decomposed accents (NFC normaliser)"},
    {"id": "html-entity", "text": "rock &amp; roll", "note": "HF tokenizer keeps '&amp;'; OpenAI's cleaner would unescape it"},
    {"id": "digits-punct", "text": "It's 3:45pm... isn't it?!? 1234567", "note": "contractions, digits split one by one"},
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(REPO / "test" / "fixtures"), help="fixtures root (default: test/fixtures)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    out = Path(args.out)
    images = out / "images"
    derived = out / "derived"
    for d in (images, derived):
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)

    manifest: list[dict] = []

    def put(folder: Path, name: str, data: bytes, kind: str, expect: str, note: str) -> None:
        (folder / name).write_bytes(data)
        manifest.append(
            {
                "file": f"{folder.name}/{name}",
                "kind": kind,
                "expect": expect,
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "note": note,
            }
        )

    china_path, flower_path = sklearn_image("china.jpg"), sklearn_image("flower.jpg")
    china = Image.open(china_path).convert("RGB")
    flower = Image.open(flower_path).convert("RGB")
    cat = Image.open(skimage_image("chelsea.png")).convert("RGB")
    coffee = Image.open(skimage_image("coffee.png")).convert("RGB")

    # --- real photos -------------------------------------------------------------------------------
    put(images, "photo-china.jpg", china_path.read_bytes(), "photo", "ok",
        "scikit-learn china.jpg, original bytes (640x427, sRGB ICC profile)")
    put(images, "photo-flower.jpg", flower_path.read_bytes(), "photo", "ok",
        "scikit-learn flower.jpg, original bytes (640x427, sRGB ICC profile)")
    put(images, "photo-cat.jpg", jpeg_bytes(cat, quality=90), "photo", "ok",
        "scikit-image chelsea.png (a cat) as JPEG q90, 451x300")
    put(images, "photo-coffee.jpg", jpeg_bytes(coffee, quality=90), "photo", "ok",
        "scikit-image coffee.png (a coffee cup) as JPEG q90, 600x400")

    # --- formats and colour models that must decode -------------------------------------------------
    put(images, "grayscale.jpg", jpeg_bytes(flower.convert("L"), quality=85), "edge", "ok",
        "8-bit grayscale JPEG (1 channel): replicated to RGB")
    put(images, "cmyk.jpg", jpeg_bytes(china.convert("CMYK"), quality=85), "edge", "ok",
        "CMYK JPEG (Adobe inverted), no ICC profile. Reference uses PIL's naive CMYK->RGB; "
        "libvips converts through its own CMYK profile, so colours differ")

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    stored = cat.transpose(Image.Transpose.ROTATE_90)  # stored sideways (CCW), displayed upright
    put(images, "exif-orientation-6.jpg", jpeg_bytes(stored, quality=90, exif=exif.tobytes()), "edge", "ok",
        "stored 300x451 sideways with EXIF Orientation=6; upright it is photo-cat (451x300)")

    buf = io.BytesIO()
    coffee.save(buf, format="WEBP", quality=80, method=6)
    put(images, "photo-coffee.webp", buf.getvalue(), "edge", "ok", "lossy WebP of the coffee photo")

    # panorama 4000x300 built from photo strips
    strips = [im.resize((round(im.width * 300 / im.height), 300), Image.Resampling.LANCZOS) for im in (china, flower, cat, coffee)]
    pano = Image.new("RGB", (4000, 300))
    x, i = 0, 0
    while x < 4000:
        s = strips[i % len(strips)]
        pano.paste(s, (x, 0))
        x += s.width
        i += 1
    put(images, "panorama-4000x300.jpg", jpeg_bytes(pano, quality=80), "edge", "ok",
        "4000x300 panorama: resized to 2986x224, only the centre 224 columns survive the crop")

    tiny = Image.fromarray(rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8), "RGB")
    buf = io.BytesIO()
    tiny.save(buf, format="PNG")
    put(images, "tiny-8x8.png", buf.getvalue(), "edge", "ok", "8x8 random colours: upscaled 28x to 224")

    # RGBA: transparent areas hide magenta; a half-transparent band; an opaque photo disc in the middle
    rgba = np.zeros((256, 256, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2], rgba[..., 3] = 255, 0, 255, 0  # invisible magenta
    disc = np.asarray(flower.crop((192, 85, 448, 341)))
    yy, xx = np.mgrid[0:256, 0:256]
    inside = (yy - 110) ** 2 + (xx - 128) ** 2 <= 90 ** 2
    rgba[inside, :3] = disc[inside]
    rgba[inside, 3] = 255
    band = yy >= 216
    rgba[band, 0], rgba[band, 1], rgba[band, 2], rgba[band, 3] = 0, 96, 255, 128  # 50% blue
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    put(images, "rgba-transparent.png", buf.getvalue(), "edge", "ok",
        "RGBA 256x256: alpha 0 everywhere except an opaque photo disc and a 50% blue band; the RGB under alpha 0 is "
        "magenta, which must NOT show: composite on white")

    # 16-bit grayscale: horizontal ramp over the full 0..65535 range plus darker blocks
    w16, h16 = 320, 240
    ramp = np.tile(np.linspace(0, 65535, w16), (h16, 1))
    ramp[60:180, 40:120] *= 0.25
    ramp[60:180, 200:280] = 65535 - ramp[60:180, 200:280]
    g16 = np.round(ramp).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(g16).save(buf, format="PNG")  # PIL mode I;16 -> 16-bit grayscale PNG
    put(images, "grayscale-16bit.png", buf.getvalue(), "edge", "ok",
        "16-bit grayscale PNG, full 0..65535 ramp. Spec: scale to 8 bit (v >> 8); PIL's convert() would clip at 255")

    # animated GIF: 3 frames with different colours; only the first frame counts
    frames = []
    for bg, fg in (((220, 30, 30), (255, 255, 255)), ((30, 160, 60), (0, 0, 0)), ((30, 60, 220), (255, 230, 0))):
        f = Image.new("RGB", (160, 120), bg)
        ImageDraw.Draw(f).ellipse((50, 30, 110, 90), fill=fg)
        frames.append(f.quantize(colors=8, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=300, loop=0, disposal=2)
    put(images, "animated.gif", buf.getvalue(), "edge", "ok",
        "animated GIF, 3 frames (red/white, green/black, blue/yellow); first frame (red) is used")

    # --- bad inputs -----------------------------------------------------------------------------------
    china_bytes = china_path.read_bytes()
    put(images, "truncated.jpg", china_bytes[: len(china_bytes) * 55 // 100], "bad", "error",
        "china.jpg cut at 55%: header is fine (metadata reads), decoding fails")
    put(images, "corrupt.jpg", b"\xff\xd8\xff\xe0" + rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes(), "bad", "error",
        "JPEG SOI/APP0 marker followed by 4 KiB of random bytes")
    put(images, "empty.jpg", b"", "bad", "error", "zero-byte file")
    put(images, "not-an-image.jpg", b"This is a plain text file that only pretends to be a JPEG.\n", "bad", "error",
        "text file with a .jpg name")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200" viewBox="0 0 200 200">\n'
        '  <rect width="200" height="200" fill="#ffcc00"/>\n'
        '  <circle cx="100" cy="100" r="60" fill="#0044aa"/>\n'
        "</svg>\n"
    ).encode()
    put(images, "vector.svg", svg, "bad", "error", "SVG: not a raster format the reference reads (sharp could render it)")
    put(images, "bomb-30000x30000.png", png_bomb(30000, 30000), "bad", "error",
        "PNG whose IHDR declares 30000x30000 RGB (2.7 GB decoded) in a file of a few hundred bytes")

    # --- derived copies for search tests (not in images/) --------------------------------------------
    put(derived, "photo-china-rotated-90.jpg", jpeg_bytes(china.transpose(Image.Transpose.ROTATE_90), quality=90),
        "derived", "ok", "photo-china rotated 90 degrees CCW in the pixels (no EXIF), 427x640")
    put(derived, "photo-china-half.jpg", jpeg_bytes(china.resize((320, 214), Image.Resampling.LANCZOS), quality=90),
        "derived", "ok", "photo-china resized to 50% (320x214)")
    put(derived, "photo-cat-half.jpg", jpeg_bytes(cat.resize((226, 150), Image.Resampling.LANCZOS), quality=90),
        "derived", "ok", "photo-cat resized to 50% (226x150)")

    (out / "texts.json").write_text(json.dumps(TEXTS, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "manifest.json").write_text(
        json.dumps({"seed": args.seed, "generator": "scripts/make-fixture-images.py", "files": manifest}, indent=2) + "\n"
    )
    (out / "README.md").write_text(README)
    total = sum(m["bytes"] for m in manifest)
    print(f"wrote {len(manifest)} files ({total / 1024:.0f} KiB) + texts.json ({len(TEXTS)} texts) under {out}")


README = """# Test fixtures

Generated, do not edit by hand:

- `images/`, `derived/`, `texts.json`, `manifest.json`: `scripts/make-fixture-images.py` (seeded).
- `tiny-clip/`, `tiny-multilingual/`: `scripts/export-onnx.py --tiny-random` / `--tiny-random-multilingual`
  (seeded random weights; real CLIP BPE tokenizer). Each has `expected.json` with reference embeddings
  computed by the Python libraries pinned in `scripts/requirements-export.txt`.

`manifest.json` says for every image whether decoding should succeed (`expect`).

## Photo provenance

- `images/photo-china.jpg`, `images/photo-flower.jpg` and the copies derived from them: the sample images shipped
  with scikit-learn (`sklearn/datasets/images/`), CC BY 2.0. china.jpg by danielbuechele
  (https://www.flickr.com/photos/danielbuechele/6061409035), flower.jpg by vultilion
  (https://www.flickr.com/photos/vultilion/6056698931), retrieved by Robert Layton for scikit-learn.
- `images/photo-cat.jpg` (Chelsea the cat, Stefan van der Walt) and `images/photo-coffee.jpg` / `.webp`
  (coffee cup, Rachel Michetti, courtesy of Pikolo Espresso Bar): scikit-image sample data, CC0.
- Every other image is synthetic or built from the photos above.

## Using expected.json

- `images[]`: `file` (relative to this folder), then either `error` (the reference could not decode it) or
  `decoded` (format, mode, size, EXIF orientation, what was fixed), `resized` [w, h] and `crop` {left, top},
  `preprocessed` (the reference uint8 224x224 crop, relative to the model folder) and `embedding` (L2-normalised).
- `texts[]`: `input_ids` exactly as the reference tokenizer produced them (unpadded, truncated) and `embedding`.
- `tolerances`: min cosine of each ONNX variant (fp32, quantized, fp16) against the torch reference on identical
  inputs. With the tiny fixture model (weights spread on purpose) +-1 grey level noise on every pixel keeps
  cosine ~0.9998, bilinear instead of bicubic ~0.997, an 8-pixel crop shift ~0.91, BGR ~0.60, a squashed resize ~0.85.
"""

if __name__ == "__main__":
    main()
