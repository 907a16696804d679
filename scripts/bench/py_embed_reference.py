#!/usr/bin/env python3
"""The Python reference for scripts/bench/embedder.ts: transformers' CLIPModel in torch, images read with PIL
(transformers.image_utils.load_image) and preprocessed by the PIL backend of CLIPImageProcessor, texts by the
model's tokenizer, one query at a time.

It serves timing requests as JSON lines on stdin/stdout, so the benchmark can alternate it with its own
measurements round by round (on a shared machine both then see the same load):

  python scripts/bench/py_embed_reference.py --model DIR --threads 2
  <- {"ready": true, "weights": "...", "versions": {...}}
  -> {"op": "images", "paths": [...], "batch": 8, "vectors": "out.f32", "pixels": "px.f32", "pixels_count": 16}
  <- {"count": 16, "seconds": 2.1}        (vectors: raw float32 [count, dims], L2-normalised; pixels: the
                                            first pixels_count pixel_values as raw float32 [n, 3, 224, 224])
  -> {"op": "texts", "texts": ["a cat", ...]}
  <- {"count": 2, "seconds": 0.08}

The model folder holds ONNX graphs, not torch weights. When it has model.safetensors / pytorch_model.bin these
are loaded; otherwise (the random-init benchmark model) the weights are rebuilt the way scripts/export-onnx.py made
them: torch.manual_seed(seed from export_info.json) then CLIPModel(config), so the vectors are comparable.
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
        sys.exit(f"{folder}: no torch weights and not a random-init export (export_info.json: {info.get('source')})")
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
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args()

    import numpy as np
    import PIL
    import torch
    import transformers
    from transformers import AutoTokenizer
    from transformers.image_utils import load_image

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model, weights = load_model(args.model)
    proc = image_processor(args.model)
    tok = AutoTokenizer.from_pretrained(str(args.model))

    def images(request):
        paths, batch = request["paths"], request["batch"]
        vectors, pixels = [], []
        start = time.perf_counter()
        for i in range(0, len(paths), batch):
            loaded = [load_image(p) for p in paths[i : i + batch]]
            values = proc(images=loaded, return_tensors="pt")["pixel_values"]
            with torch.inference_mode():
                vectors.append(features(model.get_image_features(pixel_values=values)))
            pixels.append(values)
        seconds = time.perf_counter() - start
        if request.get("vectors"):
            v = torch.cat(vectors)
            (v / v.norm(dim=-1, keepdim=True)).numpy().astype(np.float32).tofile(request["vectors"])
        if request.get("pixels"):
            torch.cat(pixels)[: request.get("pixels_count", 16)].numpy().astype(np.float32).tofile(request["pixels"])
        return {"count": len(paths), "seconds": seconds}

    def texts(request):
        start = time.perf_counter()
        for text in request["texts"]:
            ids = tok([text], padding=True, truncation=True, max_length=tok.model_max_length, return_tensors="pt")
            with torch.inference_mode():
                features(model.get_text_features(**ids))
        return {"count": len(request["texts"]), "seconds": time.perf_counter() - start}

    def sgemm(request):
        # What the cores can do at all: float32 matrix products of a ViT-B layer's shape, torch's own BLAS.
        a, b = torch.randn(400, 768), torch.randn(768, 3072)
        torch.mm(a, b)
        runs, start = 0, time.perf_counter()
        while time.perf_counter() - start < request.get("seconds", 3):
            torch.mm(a, b)
            runs += 1
        seconds = time.perf_counter() - start
        return {"count": runs, "seconds": seconds, "gflops": runs * 2 * 400 * 768 * 3072 / seconds / 1e9}

    versions = {"python": sys.version.split()[0], "torch": torch.__version__,
                "transformers": transformers.__version__, "pillow": PIL.__version__}
    print(json.dumps({"ready": True, "weights": weights, "versions": versions}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        answer = {"images": images, "texts": texts, "sgemm": sgemm}[request["op"]](request)
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
