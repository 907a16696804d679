"""open_clip models to ONNX in the layout immich publishes (used by scripts/export-onnx.py --open-clip FAMILY).

Output folder:
  config.json                  the open_clip model config (embed_dim, vision_cfg, text_cfg)
  visual/model.onnx            image float32 [batch, 3, H, W]            -> embedding float32 [batch, D]
  visual/preprocess_cfg.json   open_clip's PreprocessCfg: size, mean, std, interpolation, resize_mode
  textual/model.onnx           clip, siglip2: text int32 [batch, context_length] -> embedding [batch, D]
                               xlmr (M-CLIP form): input_ids, attention_mask int32 [batch, seq] -> embedding
  textual/tokenizer.json, tokenizer_config.json, special_tokens_map.json
  expected.json                reference embeddings and token ids computed by open_clip itself

Families (the architecture is open_clip's own; only the sizes shrink with --size tiny):
  clip     ViT-B-32: CLIP BPE (the vocabulary open_clip ships), causal text tower, argmax pooling, "shortest" resize
  siglip2  ViT-B-16-SigLIP2: timm ViT with attention pooling, bidirectional text tower pooled at the last position,
           a Gemma-style byte-fallback BPE tokenizer, "canonicalize" text cleaning, "squash" resize, mean/std 0.5
  xlmr     xlm-roberta-base-ViT-B-32: an XLM-RoBERTa text tower (SentencePiece Unigram) with mean pooling, exported
           with input_ids + attention_mask as immich's M-CLIP models are

Gemma's and XLM-R's real vocabularies cannot be downloaded here: the tiny fixtures train tokenizers of the same kind
(same model type, normaliser, pre-tokenizer and special tokens) on a small multilingual corpus. --size full keeps
the real architecture and vocabulary size (same compute and memory as the published models) for benchmarks.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

FAMILIES = ("clip", "siglip2", "xlmr")
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)

# Training text for the tiny tokenizers: the fixture texts plus a few lines per script.
CORPUS = """
a photo of a cat sitting next to a cup of coffee on a wooden table
snowy mountain at sunrise with a red cabin in the foreground
a dog running on the beach, waves and a blue sky, children playing
une photo d'un chat assis à côté d'une tasse de café, crème brûlée, déjà vu
ein Foto von einer Katze neben einer Tasse Kaffee, schneebedeckter Berg bei Sonnenaufgang
una foto de un gato sentado junto a una taza de café en la mañana
кошка сидит рядом с чашкой кофе, снежная гора на рассвете
一只猫坐在咖啡杯旁边 雪山 日出 红色的小屋 海滩上的狗
猫がコーヒーカップの隣に座っている 雪山と日の出
قطة تجلس بجانب فنجان قهوة جبل مغطى بالثلج عند شروق الشمس
חתול יושב ליד כוס קפה
एक बिल्ली कॉफी के कप के पास बैठी है
μια γάτα κάθεται δίπλα σε ένα φλιτζάνι καφέ
🐱 cat with a ☕ coffee cup 🎉 party 🌄 sunrise
it's 3:45pm... isn't it?!? 1234567 rock & roll
"""


def corpus_lines(texts: list[str]) -> list[str]:
    return [line for line in CORPUS.strip().split("\n")] + [t for t in texts if t.strip()]


# ------------------------------------------------------------------------------------------------------------------
# model configs
# ------------------------------------------------------------------------------------------------------------------


def model_config(family: str, size: str, vocab_size: int, hf_dir: Path | None) -> dict:
    """The open_clip config of the family; tiny keeps each feature and shrinks widths, depths and the output."""
    import open_clip

    if size == "full":
        name = {"clip": "ViT-B-32", "siglip2": "ViT-B-16-SigLIP2", "xlmr": "xlm-roberta-base-ViT-B-32"}[family]
        cfg = json.loads(json.dumps(open_clip.get_model_config(name)))
        if family == "xlmr":
            cfg["text_cfg"]["hf_model_pretrained"] = False
            cfg["text_cfg"]["hf_model_name"] = str(hf_dir)
        return cfg
    tiny_vit = {"image_size": 224, "layers": 2, "width": 64, "head_width": 32, "patch_size": 32}
    if family == "clip":
        return {"embed_dim": 128, "vision_cfg": tiny_vit,
                "text_cfg": {"context_length": 77, "vocab_size": vocab_size, "width": 8, "heads": 2, "layers": 2}}
    if family == "siglip2":
        return {"embed_dim": 64, "init_logit_bias": -10, "custom_text": True,  # timm_proj none: = ViT width
                "vision_cfg": {"image_size": 224, "timm_model_name": "vit_tiny_siglip_fixture",
                               "timm_model_pretrained": False, "timm_pool": "map", "timm_proj": "none"},
                "text_cfg": {"context_length": 64, "vocab_size": vocab_size, "width": 64, "heads": 2, "layers": 2,
                             "tokenizer_kwargs": {"clean": "canonicalize"}, "no_causal_mask": True,
                             "proj_bias": True, "pool_type": "last", "norm_kwargs": {"eps": 1e-6},
                             "act_kwargs": {"approximate": "tanh"}}}
    return {"embed_dim": 128, "vision_cfg": tiny_vit,
            "text_cfg": {"hf_model_name": str(hf_dir), "hf_model_pretrained": False, "hf_pooler_type": "mean_pooler"}}


def register_tiny_siglip_vit() -> None:
    """A timm SigLIP ViT (no class token, attention-pool head, tanh GELU) at width 64, 2 layers."""
    from timm.models import register_model
    from timm.models.vision_transformer import _create_vision_transformer

    @register_model
    def vit_tiny_siglip_fixture(pretrained=False, **kwargs):  # noqa: ANN001 - timm's signature
        args = dict(patch_size=16, embed_dim=64, depth=2, num_heads=2, class_token=False, global_pool="map",
                    act_layer="gelu_tanh")
        return _create_vision_transformer("vit_base_patch16_siglip_224", pretrained=False, **dict(args, **kwargs))


# ------------------------------------------------------------------------------------------------------------------
# tokenizers
# ------------------------------------------------------------------------------------------------------------------


def gemma_style_tokenizer(texts: list[str], vocab_size: int):
    """Gemma's tokenizer.json shape: spaces -> U+2581, no pre-tokenizer, BPE with byte fallback, <pad>=0 <eos>=1
    <bos>=2 <unk>=3, the 256 byte tokens; SigLIP 2 appends <eos> to every text."""
    from tokenizers import Tokenizer, decoders, models, normalizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<pad>", "<eos>", "<bos>", "<unk>"] + [f"<0x{b:02X}>" for b in range(256)]
    tok = Tokenizer(models.BPE(byte_fallback=True, fuse_unk=True, unk_token="<unk>"))
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False)
    tok.train_from_iterator(corpus_lines(texts), trainer)
    tok.post_processor = processors.TemplateProcessing(single="$A <eos>", special_tokens=[("<eos>", 1)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>",
                                   unk_token="<unk>", model_max_length=64)


def xlmr_style_tokenizer(texts: list[str], vocab_size: int, workdir: Path):
    """XLM-R's: a SentencePiece Unigram model with the nmt_nfkc normaliser (a Precompiled charsmap in tokenizer.json),
    fairseq's special ids <s>=0 <pad>=1 </s>=2 <unk>=3, <mask> last, "<s> $A </s>"."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import XLMRobertaTokenizerFast

    corpus = workdir / "corpus.txt"
    corpus.write_text("\n".join(corpus_lines(texts) * 4) + "\n", encoding="utf-8")
    prefix = workdir / "spm"
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(prefix), vocab_size=vocab_size,
                                   model_type="unigram", character_coverage=1.0, normalization_rule_name="nmt_nfkc",
                                   bos_id=0, pad_id=1, eos_id=2, unk_id=3, bos_piece="<s>", pad_piece="<pad>",
                                   eos_piece="</s>", unk_piece="<unk>", num_threads=1, hard_vocab_limit=False,
                                   minloglevel=2)
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString((Path(str(prefix) + ".model")).read_bytes())
    # The pieces, normaliser and pre-tokenizer as transformers' SpmConverter writes xlm-roberta-base's tokenizer.json.
    backend = Tokenizer(models.Unigram([(p.piece, p.score) for p in proto.pieces], unk_id=3, byte_fallback=False))
    backend.normalizer = normalizers.Sequence([normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap),
                                               normalizers.Replace(Regex(" {2,}"), " ")])
    backend.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    backend.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    backend.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>", AddedToken("<mask>", lstrip=True)])
    backend.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
                                                           special_tokens=[("<s>", 0), ("</s>", 2)])
    return XLMRobertaTokenizerFast(tokenizer_object=backend, bos_token="<s>", eos_token="</s>",
                                   sep_token="</s>", cls_token="<s>", unk_token="<unk>", pad_token="<pad>",
                                   mask_token="<mask>", model_max_length=512)


def tiny_xlmr_config(vocab_size: int, out: Path, full: bool) -> Path:
    from transformers import XLMRobertaConfig

    if full:
        cfg = XLMRobertaConfig(vocab_size=250002, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1,
                               bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
    else:
        cfg = XLMRobertaConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=64, max_position_embeddings=514, type_vocab_size=1, pad_token_id=1,
                               bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
    out.mkdir(parents=True, exist_ok=True)
    cfg.save_pretrained(str(out))
    return out


def spread_weights(model, seed: int, gain: float) -> None:
    """Random init maps every input to nearly one direction (pairwise cosines ~0.99), which makes a fixture blind to
    wrong preprocessing or tokenisation. Re-draw every matrix with std gain/sqrt(fan_in) (its real fan-in: a
    convolution's whole kernel, open_clip's x @ proj parameters their first axis), embedding tables with std 0.5 and
    vectors (biases, class token) with std 0.05; LayerNorms are jittered around 1 / 0. Seeded, still the same graph."""
    import torch

    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 0:  # logit scale / bias play no part
                continue
            if "norm" in name.lower() or ".ln_" in name or name.startswith("ln_"):
                p.add_(torch.randn(p.shape, generator=g) * 0.05)
            elif "embedding" in name or "pos_embed" in name:
                p.copy_(torch.randn(p.shape, generator=g) * (0.5 if p.dim() > 1 else 0.05))
            elif p.dim() == 1:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
            else:
                fan_in = p.shape[0] if name.endswith("proj") or name.endswith("projection") else p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) * (gain / math.sqrt(fan_in)))


# ------------------------------------------------------------------------------------------------------------------
# graphs
# ------------------------------------------------------------------------------------------------------------------


def wrappers(model, family: str):
    import torch

    class Visual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, image):
            return self.m.encode_image(image)

    class Textual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, text):
            return self.m.encode_text(text)

    class MClipTextual(torch.nn.Module):
        """open_clip's HFTextEncoder.forward with the attention mask as an input instead of ids != pad."""

        def __init__(self):
            super().__init__()
            self.t = model.text

        def forward(self, input_ids, attention_mask):
            out = self.t.transformer(input_ids=input_ids.long(), attention_mask=attention_mask.long())
            return self.t.proj(self.t.pooler(out, attention_mask.long()))

    return Visual().eval(), (MClipTextual() if family == "xlmr" else Textual()).eval()


def run(args, out: Path, h) -> None:
    """h: the export-onnx.py module (export, reference image loading and JSON helpers live there)."""
    import open_clip
    import torch

    family, size = args.open_clip, args.size
    texts_doc = json.loads(Path(args.texts).read_text(encoding="utf-8")) if args.texts else []
    texts = [t["text"] for t in texts_doc]
    work = Path(tempfile.mkdtemp(prefix="open-clip-export-"))
    textual_dir = out / "textual"
    textual_dir.mkdir(parents=True, exist_ok=True)
    (out / "visual").mkdir(parents=True, exist_ok=True)

    hf_dir = None
    if family == "clip":
        tok = h.build_clip_tokenizer(77)
        vocab_size = 49408
    elif family == "siglip2":
        register_tiny_siglip_vit()
        tok = gemma_style_tokenizer(texts, 1000)
        vocab_size = 256000 if size == "full" else len(tok)
    else:
        tok = xlmr_style_tokenizer(texts, 1000, work)
        vocab_size = len(tok)
        hf_dir = tiny_xlmr_config(vocab_size, work / "xlmr", size == "full")
    tok_dir = work / "tokenizer"
    h.save_tokenizer(tok, tok_dir)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (textual_dir / name).write_bytes((tok_dir / name).read_bytes())

    cfg = model_config(family, size, vocab_size, hf_dir)
    if family != "clip":
        cfg["text_cfg"]["hf_tokenizer_name"] = str(tok_dir)
    if family == "siglip2" and size == "full":
        cfg["vision_cfg"]["timm_model_name"] = "vit_base_patch16_siglip_224"
    name = f"lookalike-{family}-{size}"
    (work / "configs").mkdir()
    (work / "configs" / f"{name}.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(str(work / "configs"))
    pre = ({"image_mean": (0.5, 0.5, 0.5), "image_std": (0.5, 0.5, 0.5), "image_resize_mode": "squash"}
           if family == "siglip2" else {"image_mean": OPENAI_MEAN, "image_std": OPENAI_STD,
                                        "image_resize_mode": "shortest"})
    torch.manual_seed(args.seed)
    model, _, preprocess = open_clip.create_model_and_transforms(name, image_interpolation="bicubic", pretrained_hf=False,
                                                                  **pre)
    model.eval()
    if size == "tiny":
        spread_weights(model, args.seed, float(os.environ.get("SPREAD_GAIN", "1.5")))
    tokenizer = open_clip.get_tokenizer(name)
    preprocess_cfg = open_clip.get_model_preprocess_cfg(model)
    context_length = int(getattr(tokenizer, "context_length", 77) or 77)

    # What immich's loaders read: the open_clip config with the names a reader can resolve (not temp paths).
    written = json.loads(json.dumps(cfg))
    if family != "clip":
        written["text_cfg"]["hf_tokenizer_name"] = "textual/tokenizer.json"
    if hf_dir is not None:
        written["text_cfg"]["hf_model_name"] = "xlm-roberta-base" if size == "full" else "tiny-xlm-roberta"
    written["text_cfg"].setdefault("context_length", context_length)
    (out / "config.json").write_text(json.dumps(written, indent=2) + "\n")
    (out / "visual" / "preprocess_cfg.json").write_text(json.dumps(preprocess_cfg, indent=2) + "\n")

    visual, textual = wrappers(model, family)
    image_size = preprocess_cfg["size"]
    image_size = image_size[0] if isinstance(image_size, (list, tuple)) else image_size
    example_image = torch.randn(2, 3, image_size, image_size)
    how = {"visual": h.export_onnx(visual, (example_image,), out / "visual" / "model.onnx", ["image"], "embeds",
                                   {"image": {0: "batch_size"}}, args.opset)}
    example_ids = tokenizer(["a photo of a cat", "a dog"]).to(torch.int32)
    if family == "xlmr":
        pad = tok.pad_token_id
        mask = (example_ids != pad).to(torch.int32)
        how["textual"] = h.export_onnx(textual, (example_ids, mask), textual_dir / "model.onnx",
                                       ["input_ids", "attention_mask"], "embeds",
                                       {"input_ids": {0: "batch_size", 1: "sequence_length"},
                                        "attention_mask": {0: "batch_size", 1: "sequence_length"}}, args.opset,
                                       seq_max=context_length)
    else:
        how["textual"] = h.export_onnx(textual, (example_ids,), textual_dir / "model.onnx", ["text"], "embeds",
                                       {"text": {0: "batch_size"}}, args.opset)
    if args.expected:
        write_expected(args, out, h, model, family, tokenizer, preprocess, texts_doc, tok)
    info = {"family": family, "size": size, "seed": args.seed, "export": how, "versions": h.versions(),
            "parameters": int(sum(p.numel() for p in model.parameters())),
            "signatures": {k: h.onnx_signature(p) for k, p in
                           (("visual", out / "visual" / "model.onnx"), ("textual", textual_dir / "model.onnx"))}}
    (out / "export_info.json").write_text(json.dumps(info, indent=2) + "\n")


def write_expected(args, out: Path, h, model, family, tokenizer, preprocess, texts_doc, tok) -> None:
    """Reference embeddings by open_clip: open_clip's tokenizer and model for texts; the project's documented decode
    (EXIF, 16-bit >> 8, alpha on white, RGB; export-onnx.py load_reference_image), then open_clip's own eval
    transform (resize, crop or squash, normalise) and encode_image for images. Each is checked against the ONNX
    graphs run by onnxruntime on the same inputs."""
    import torch

    vis = h.ort_session(out / "visual" / "model.onnx")
    txt = h.ort_session(out / "textual" / "model.onnx")
    images = []
    for path in h.list_images([Path(p) for p in args.images]):
        row: dict = {"file": h.rel(path)}
        try:
            rgb, info = h.load_reference_image(path)
        except Exception as e:  # noqa: BLE001 - the reference cannot decode it: so must we refuse it
            row["error"] = f"{type(e).__name__}: {str(e)[:200]}"
            images.append(row)
            continue
        pixels = preprocess(rgb).unsqueeze(0)
        with torch.no_grad():
            ref = model.encode_image(pixels).numpy()
        onnx = vis.run(None, {"image": pixels.numpy()})[0]
        row["decoded"] = info
        row["onnx_cosine"] = float(h.cos_rows(ref, onnx)[0])
        row["embedding"] = h.vec(h.l2n(ref[0]))
        images.append(row)
    rows = []
    for t in texts_doc:
        ids = tokenizer([t["text"]])
        with torch.no_grad():
            ref = model.encode_text(ids).numpy()
        ids32 = ids.numpy().astype(np.int32)
        if family == "xlmr":
            mask = (ids32 != tok.pad_token_id).astype(np.int32)
            onnx = txt.run(None, {"input_ids": ids32, "attention_mask": mask})[0]
        else:
            onnx = txt.run(None, {"text": ids32})[0]
        rows.append({"id": t["id"], "text": t["text"], "input_ids": ids[0].tolist(),
                     "onnx_cosine": float(h.cos_rows(ref, onnx)[0]), "embedding": h.vec(h.l2n(ref[0]))})
    worst = min([r["onnx_cosine"] for r in images if "onnx_cosine" in r] + [r["onnx_cosine"] for r in rows])
    h.log(f"  onnxruntime vs open_clip: min cosine {worst:.6f}")
    # open_clip's own CLIP tokenizer pads with 0, its HF tokenizers with the pad token.
    pad = 0 if family == "clip" else tok.pad_token_id
    doc = {"family": family, "reference": "open_clip " + h.versions().get("open_clip_torch", "?"),
           "reference_pad_id": pad, "images": images, "texts": rows}
    (out / "expected.json").write_text(h.dump_json(doc), encoding="utf-8")
