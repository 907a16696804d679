#!/usr/bin/env python3
"""Multiply-accumulates per input of ONNX graphs (MatMul, Gemm, Conv), counted from the shapes onnx infers with the
batch fixed at 1 and a sequence axis at its model's length. A load-independent measure of compute for
bench/models.md, where the timings depend on what else the shared machine runs.

  python scripts/bench/graph_macs.py GRAPH.onnx[:seq_len] ...   -> one JSON line per graph: {"graph", "gmacs"}
"""

import json
import sys

import numpy as np
import onnx
from onnx import shape_inference


def fixed(model, seq: int):
    for vi in model.graph.input:
        dims = vi.type.tensor_type.shape.dim
        for i, d in enumerate(dims):
            if d.dim_param or d.dim_value == 0:
                d.ClearField("dim_param")
                d.dim_value = 1 if i == 0 else seq
    return shape_inference.infer_shapes(model, data_prop=True)


def macs(path: str, seq: int) -> float:
    model = fixed(onnx.load(path, load_external_data=False), seq)
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    total = 0
    for node in model.graph.node:
        if node.op_type in ("MatMul", "Gemm", "MatMulInteger"):  # int8 graphs: the same products in integers
            a, b = shapes.get(node.input[0]), shapes.get(node.input[1])
            out = shapes.get(node.output[0])
            if not a or not b or not out or 0 in out:
                continue
            k = a[-1] if not (node.op_type == "Gemm" and any(at.name == "transA" and at.i for at in node.attribute)) else a[0]
            total += int(np.prod(out)) * k
        elif node.op_type == "Conv":
            w, out = shapes.get(node.input[1]), shapes.get(node.output[0])
            if w and out:
                total += int(np.prod(out)) * int(np.prod(w[1:]))
    return total / 1e9


for arg in sys.argv[1:]:
    path, _, seq = arg.partition(":")
    print(json.dumps({"graph": path, "gmacs": round(macs(path, int(seq or 77)), 2)}))
