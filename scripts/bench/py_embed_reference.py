#!/usr/bin/env python3
"""The Python reference for scripts/bench/embedder.ts: transformers' CLIPModel in torch, images read with PIL
(transformers.image_utils.load_image) and preprocessed by the PIL backend of CLIPImageProcessor, texts by the
model's tokenizer. Run as a child process by the benchmark; prints one JSON object on stdout.

The model folder holds ONNX graphs, not torch weights. When it has model.safetensors / pytorch_model.bin these
are loaded; otherwise (the random-init benchmark model) the weights are rebuilt the way scripts/export-onnx.py made
them: torch.manual_seed(seed from export_info.json) then CLIPModel(config), so the vectors are comparable.

  python scripts/bench/py_embed_reference.py --model DIR --images-file LIST --batch 8 --threads 2 \
      [--texts-file texts.json] [--embeddings-out vecs.f32] [--pixels-out pixels.f32 --pixels-count 16]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path


def load_model(folder: Path):
    import torch
    from transformers import CLIPConfig, CLIPModel

    if any((folder / f).exists() for f in ("model.safetensors", "pytorch_model.bin")):
        return CLIPModel.from_pretrained(str(folder), torch_dtype=torch.float32).eval(), "pretrained weights"
    info = json.loads((folder / "export_info.json").read_text())
    seed = re.search(r"seed (\d+)", info.get("source", ""))
    if not seed or "random-init" not in info["source"]:
        sys.exit(f"{folder}: no torch weights and not a random-init export (export_info.json source: {info.get('source')})")
    torch.manual_seed(int(seed.group(1)))
    return CLIPModel(CLIPConfig.from_pretrained(str(folder))).eval(), f"random init, seed {seed.group(1)}"


def image_processor(folder: Path):
    try:
        from transformers import CLIPImageProcessorPil as Proc
    except ImportError:  # transformers 4.x: the slow processor is the PIL one
        from transformers import CLIPImageProcessor as Proc
    return Proc.from_pretrained(str(folder))


def features(out):
    """transformers 5 returns a model output from get_*_features, 4.x a tensor."""
    import torch

    return out if isinstance(out, torch.Tensor) else out.pooler_output


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--images-file", required=True, type=Path, help="one image path per line")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--texts-file", type=Path, help="JSON list of queries, embedded one at a time")
    ap.add_argument("--embeddings-out", type=Path, help="raw float32 [images, dims], L2-normalised")
    ap.add_argument("--pixels-out", type=Path, help="raw float32 pixel_values of the first --pixels-count images")
    ap.add_argument("--pixels-count", type=int, default=0)
    args = ap.parse_args()

    import numpy as np
    import torch
    from transformers import AutoTokenizer
    from transformers.image_utils import load_image

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model, weights = load_model(args.model)
    proc = image_processor(args.model)
    tok = AutoTokenizer.from_pretrained(str(args.model))
    paths = [p for p in args.images_file.read_text().splitlines() if p]

    def embed_batch(batch_paths):
        images = [load_image(p) for p in batch_paths]
        pixels = proc(images=images, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            return pixels, features(model.get_image_features(pixel_values=pixels))

    embed_batch(paths[: args.batch])  # warm-up, not timed
    vectors, kept_pixels = [], []
    start = time.perf_counter()
    for i in range(0, len(paths), args.batch):
        pixels, out = embed_batch(paths[i : i + args.batch])
        vectors.append(out)
        if sum(len(p) for p in kept_pixels) < args.pixels_count:
            kept_pixels.append(pixels)
    image_seconds = time.perf_counter() - start

    result = {
        "images": len(paths),
        "batch": args.batch,
        "threads": args.threads,
        "image_seconds": image_seconds,
        "images_per_s": len(paths) / image_seconds,
        "weights": weights,
        "versions": {"torch": torch.__version__, "python": sys.version.split()[0]},
    }
    try:
        import transformers
        import PIL

        result["versions"].update(transformers=transformers.__version__, pillow=PIL.__version__)
    except ImportError:
        pass

    if args.embeddings_out:
        v = torch.cat(vectors)
        (v / v.norm(dim=-1, keepdim=True)).numpy().astype(np.float32).tofile(args.embeddings_out)
    if args.pixels_out:
        torch.cat(kept_pixels)[: args.pixels_count].numpy().astype(np.float32).tofile(args.pixels_out)

    if args.texts_file:
        texts = json.loads(args.texts_file.read_text())

        def embed_text(text):
            ids = tok([text], padding=True, truncation=True, max_length=tok.model_max_length, return_tensors="pt")
            with torch.inference_mode():
                return features(model.get_text_features(**ids))

        embed_text(texts[0])
        start = time.perf_counter()
        for text in texts:
            embed_text(text)
        text_seconds = time.perf_counter() - start
        result.update(texts=len(texts), text_seconds=text_seconds, texts_per_s=len(texts) / text_seconds)

    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
