#!/usr/bin/env python3
"""The seed's indexing loop, the Python reference for scripts/bench/indexer.ts: for each image, PIL opens it,
CLIPProcessor preprocesses it and CLIPModel embeds it, one image at a time; the documents go to Elasticsearch
with elasticsearch-py's bulk helper.

It serves requests as JSON lines on stdin/stdout, so the benchmark can alternate it with its own runs:

  python scripts/bench/py_index_reference.py --model DIR --threads 2 --elasticsearch http://127.0.0.1:9200
  <- {"ready": true, "weights": "...", "versions": {...}}
  -> {"paths": [...], "index": "bench-py-1"}
  <- {"count": 200, "seconds": 31.5, "model_seconds": 20.1}
                              (the index is created before and deleted after the timing; model_seconds is the
                               time spent in CLIPModel alone)

The model folder holds ONNX graphs; torch weights come from it, or for the random-init benchmark model are
rebuilt from the export seed (load_model in py_embed_reference.py), so both sides run the same network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from py_embed_reference import load_model  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--elasticsearch", required=True)
    args = ap.parse_args()

    import elasticsearch
    import PIL
    import torch
    import transformers
    from elasticsearch import Elasticsearch, helpers
    from PIL import Image
    from transformers import CLIPProcessor

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    model, weights = load_model(args.model)
    processor = CLIPProcessor.from_pretrained(str(args.model))
    dims = model.config.projection_dim
    es = Elasticsearch(args.elasticsearch)

    def index(request):
        name = request["index"]
        es.indices.create(
            index=name,
            mappings={
                "properties": {
                    "image_name": {"type": "keyword"},
                    "relative_path": {"type": "keyword"},
                    "image_embedding": {"type": "dense_vector", "dims": dims, "similarity": "cosine"},
                }
            },
        )
        try:
            start = time.perf_counter()
            model_seconds = 0.0
            docs = []
            for path in request["paths"]:
                image = Image.open(path).convert("RGB")
                inputs = processor(images=image, return_tensors="pt")
                model_start = time.perf_counter()
                with torch.no_grad():
                    out = model.get_image_features(**inputs)
                model_seconds += time.perf_counter() - model_start
                vector = out if isinstance(out, torch.Tensor) else out.pooler_output
                vector = vector / vector.norm(dim=-1, keepdim=True)
                docs.append(
                    {
                        "_index": name,
                        "_id": hashlib.sha256(path.encode()).hexdigest()[:32],
                        "image_name": os.path.basename(path),
                        "relative_path": path,
                        "image_embedding": vector[0].tolist(),
                        "indexed_at": datetime.now(timezone.utc).isoformat(),
                    }
                )
            helpers.bulk(es, docs, chunk_size=500)
            es.indices.refresh(index=name)
            seconds = time.perf_counter() - start
        finally:
            es.indices.delete(index=name)
        return {"count": len(request["paths"]), "seconds": seconds, "model_seconds": model_seconds}

    versions = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "pillow": PIL.__version__,
        "elasticsearch-py": ".".join(map(str, elasticsearch.__version__)),
    }
    print(json.dumps({"ready": True, "weights": weights, "versions": versions}), flush=True)
    for line in sys.stdin:
        print(json.dumps(index(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
