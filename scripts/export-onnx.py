#!/usr/bin/env python3
"""Export CLIP (and the multilingual CLIP text encoder) to ONNX in the Hugging Face / transformers.js layout,
and compute reference embeddings with the Python libraries so the TypeScript embedder can be checked.

Output folder (--out):
  onnx/vision_model.onnx   pixel_values float32 [batch, 3, H, W]          -> image_embeds float32 [batch, D]
  onnx/text_model.onnx     CLIP:         input_ids int64 [batch, seq]      -> text_embeds  float32 [batch, D]
                           multilingual: input_ids, attention_mask int64 [batch, seq] -> text_embeds [batch, D]
                           (mean pooling over attention_mask and the bias-free Dense 768->512 are inside the graph)
  onnx/*_quantized.onnx    with --quantize: onnxruntime quantize_dynamic, int8 weights (MatMul, Gemm, Gather)
  onnx/*_fp16.onnx         with --quantize: float16 weights/compute, float32 inputs and outputs (keep_io_types)
  tokenizer.json, tokenizer_config.json, special_tokens_map.json, preprocessor_config.json (CLIP), config.json
  expected.json            with --expected (default for the tiny modes): reference embeddings, token ids, notes
  preprocessed/*.png       with --expected (CLIP): the reference 224x224 uint8 crop of each image, before /255

Embeddings are NOT normalised in the graphs; expected.json stores L2-normalised vectors.

Modes (exactly one):
  --model ID|DIR             a real CLIP checkpoint (e.g. openai/clip-vit-base-patch32); needs hub access or a folder
  --tiny-random              seeded tiny CLIP: real architecture, text width 16, vision width 64, 2 layers each,
                             image 224 / patch 32, projection 512, vocab 49408 and the real CLIP BPE tokenizer
                             (the committed test fixture)
  --random-init              full-size ViT-B/32 with random weights (same FLOPs as the real model; for benchmarks)
  --multilingual ID|DIR      a sentence-transformers text encoder such as
                             sentence-transformers/clip-ViT-B-32-multilingual-v1 (DistilBERT -> mean -> Dense 768->512)
  --tiny-random-multilingual the same pipeline with a tiny random DistilBERT. Its WordPiece vocabulary is NOT the real
                             multilingual-cased vocabulary (unavailable offline): it is built here, deterministically,
                             from the words of a small built-in multilingual corpus (Latin, Cyrillic, Greek, CJK,
                             Arabic, Hebrew, Devanagari, emoji), keeping mBERT's special ids ([PAD]=0, [UNK]=100,
                             [CLS]=101, [SEP]=102, [MASK]=103) and normaliser (cased, no accent stripping, CJK split).

The CLIP tokenizer for the tiny/random modes is rebuilt offline from the BPE file that pip's open_clip_torch ships
(bpe_simple_vocab_16e6.txt.gz), exactly as OpenAI's CLIP builds it, and saved through transformers' CLIPTokenizer.

Examples:
  python scripts/export-onnx.py --tiny-random --quantize --out test/fixtures/tiny-clip
  python scripts/export-onnx.py --tiny-random-multilingual --quantize --out test/fixtures/tiny-multilingual
  python scripts/export-onnx.py --open-clip siglip2 --out test/fixtures/open-clip/siglip2   (also clip, xlmr)
  python scripts/export-onnx.py --open-clip siglip2 --size full --out /tmp/models/siglip2-random
  python scripts/export-onnx.py --random-init --quantize --out /work/models/clip-vit-b32-random
  python scripts/export-onnx.py --model openai/clip-vit-base-patch32 --quantize --expected --out models/clip-vit-b32
  python scripts/export-onnx.py --multilingual sentence-transformers/clip-ViT-B-32-multilingual-v1 --quantize \\
      --out models/clip-vit-b32-multilingual
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "test" / "fixtures"
DEFAULT_OPSET = 18

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)


def log(*a) -> None:
    print(*a, flush=True)


# ------------------------------------------------------------------------------------------------------------------
# CLIP tokenizer from open_clip's BPE file
# ------------------------------------------------------------------------------------------------------------------


def bytes_to_unicode() -> dict[int, str]:
    """OpenAI CLIP / GPT-2: reversible map from bytes to printable unicode characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def clip_bpe_path() -> Path:
    import open_clip.tokenizer

    return Path(open_clip.tokenizer.default_bpe())


def build_clip_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """vocab (49408) and merges (48894) exactly as OpenAI's SimpleTokenizer builds them."""
    lines = gzip.open(clip_bpe_path()).read().decode("utf-8").split("\n")
    merges = [tuple(m.split()) for m in lines[1 : 49152 - 256 - 2 + 1]]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(merges) == 48894 and len(vocab) == 49408, (len(merges), len(vocab))
    return {tok: i for i, tok in enumerate(vocab)}, merges


def build_clip_tokenizer(max_length: int = 77):
    from transformers import CLIPTokenizer

    vocab, merges = build_clip_vocab()
    tok = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=max_length)
    assert tok.bos_token_id == 49406 and tok.eos_token_id == 49407 and tok.pad_token_id == 49407
    return tok


def compare_with_open_clip(tok, texts: list[str]) -> list[dict]:
    """Tokenise with open_clip's SimpleTokenizer too; return the texts where the ids differ."""
    import open_clip

    oc = open_clip.get_tokenizer("ViT-B-32")
    diffs = []
    for text in texts:
        ours = tok(text, truncation=True, max_length=77)["input_ids"]
        theirs = oc([text])[0].tolist()
        theirs_trim = theirs[: len(ours)] if all(x == 0 for x in theirs[len(ours) :]) else theirs
        if ours != theirs_trim:
            theirs_end = len(theirs) - next((i for i, x in enumerate(reversed(theirs)) if x != 0), 0)
            diffs.append({"text": text, "transformers": ours, "open_clip": theirs[:theirs_end]})
    return diffs


# ------------------------------------------------------------------------------------------------------------------
# tokenizer / processor files
# ------------------------------------------------------------------------------------------------------------------


def save_tokenizer(tok, out: Path) -> None:
    """save_pretrained, then rewrite tokenizer.json compactly (BPE merges as "a b" strings, the form every
    reader accepts, including transformers.js) and add special_tokens_map.json."""
    tok.save_pretrained(str(out))
    cfg_path = out / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    for junk in ("is_local", "local_files_only", "name_or_path", "_commit_hash"):  # loader state, not config
        cfg.pop(junk, None)
    cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tj_path = out / "tokenizer.json"
    tj = json.loads(tj_path.read_text(encoding="utf-8"))
    model = tj.get("model", {})
    merges = model.get("merges")
    if model.get("type") == "BPE" and merges and isinstance(merges[0], list):
        if not any(" " in a or " " in b for a, b in merges):
            model["merges"] = [f"{a} {b}" for a, b in merges]
    tj_path.write_text(json.dumps(tj, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    for name in ("vocab.json", "merges.txt", "vocab.txt"):  # tokenizer.json is the single source of truth
        (out / name).unlink(missing_ok=True)
    special = {}
    for key in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"):
        value = getattr(tok, key, None)
        if value is not None:
            special[key] = str(value)
    (out / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    # reload check: the written tokenizer.json must tokenise exactly like the in-memory tokenizer
    from transformers import AutoTokenizer

    again = AutoTokenizer.from_pretrained(str(out))
    probe = "A quick check: naïve café, 東京, привет 🙂 <|endoftext|> it's 42!"
    assert again(probe)["input_ids"] == tok(probe)["input_ids"], "tokenizer.json round trip changed the ids"


def clip_image_processor(source: str | None = None):
    """The PIL backend of transformers' CLIP image processor (PIL bicubic resize, like the original CLIP)."""
    try:
        from transformers import CLIPImageProcessorPil as Proc
    except ImportError:  # transformers 4.x: the slow CLIPImageProcessor is the PIL one
        from transformers import CLIPImageProcessor as Proc
    if source is None:
        return Proc()
    return Proc.from_pretrained(source)


def save_image_processor(proc, out: Path) -> None:
    proc.save_pretrained(str(out))
    p = out / "preprocessor_config.json"
    cfg = json.loads(p.read_text())
    cfg["image_processor_type"] = "CLIPImageProcessor"
    cfg.setdefault("feature_extractor_type", "CLIPFeatureExtractor")  # older transformers.js readers look for this
    p.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")


# ------------------------------------------------------------------------------------------------------------------
# CLIP models
# ------------------------------------------------------------------------------------------------------------------


def clip_config(tiny: bool):
    from transformers import CLIPConfig

    # token ids as in openai/clip-vit-base-patch32's config.json: text eos_token_id 2 selects the legacy pooling
    # (argmax of input_ids, i.e. the first <|endoftext|> since 49407 is the largest id).
    text = dict(vocab_size=49408, max_position_embeddings=77, hidden_act="quick_gelu", bos_token_id=0, eos_token_id=2,
                pad_token_id=1)
    vision = dict(image_size=224, patch_size=32, num_channels=3, hidden_act="quick_gelu")
    if tiny:
        # text width 16 keeps the 49408-row token table (and so the committed fixture) small: 3 MB in fp32
        text.update(hidden_size=16, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
        vision.update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2)
    else:  # ViT-B/32
        text.update(hidden_size=512, intermediate_size=2048, num_hidden_layers=12, num_attention_heads=8)
        vision.update(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12)
    return CLIPConfig(text_config=text, vision_config=vision, projection_dim=512)


def load_clip(args):
    import torch
    from transformers import AutoTokenizer, CLIPModel

    if args.model:
        model = CLIPModel.from_pretrained(args.model, torch_dtype=torch.float32)
        tok = AutoTokenizer.from_pretrained(args.model)
        proc = clip_image_processor(args.model)
        source = f"{args.model}"
    else:
        torch.manual_seed(args.seed)
        cfg = clip_config(tiny=args.tiny_random)
        model = CLIPModel(cfg)
        if args.tiny_random:
            spread_tiny_weights(model, args.seed)
        tok = build_clip_tokenizer()
        proc = clip_image_processor()
        kind = "tiny-random" if args.tiny_random else "random-init ViT-B/32"
        source = f"{kind} (seed {args.seed}), CLIP BPE from open_clip_torch"
    model.eval()
    return model, tok, proc, source


def spread_tiny_weights(model, seed: int) -> None:
    """Random CLIP init maps every image to almost the same direction (cosines ~0.99), which makes a fixture
    useless for telling a wrong preprocessing from a right one. Re-draw the weights with larger variance
    (seeded; gain 1.5 over 1/sqrt(fan_in)), still a valid CLIP: the graph and the pipeline are unchanged.
    Measured on photo-china with the fixture model: +-1 grey level noise keeps cosine >= 0.9999, bilinear instead
    of bicubic ~0.999, an 8-pixel crop shift ~0.89, BGR order ~0.93, a squashed (non-cropped) resize ~0.93."""
    gain = 1.5
    import torch

    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("logit_scale") or p.dim() == 0:  # scalars (logit scale / bias) play no part
                continue
            if "norm" in name:  # LayerNorm: keep weight 1 / bias 0 but jitter a little
                p.add_(torch.randn(p.shape, generator=g) * 0.05)
                continue
            fan_in = p.shape[-1] if p.dim() > 1 else p.shape[0]
            if "patch_embedding" in name:
                fan_in = p[0].numel()
            std = gain / math.sqrt(fan_in) if p.dim() > 1 else 0.05
            if "embedding" in name and p.dim() == 2 and "patch" not in name:
                std = 0.5  # token / position tables
            p.copy_(torch.randn(p.shape, generator=g) * std)


def first(out):
    """transformers 5 returns BaseModelOutputWithPooling from get_*_features, 4.x a tensor."""
    import torch

    return out if isinstance(out, torch.Tensor) else out.pooler_output


def clip_wrappers(model):
    import torch

    class Vision(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, pixel_values):
            return first(self.m.get_image_features(pixel_values=pixel_values))

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = model

        def forward(self, input_ids):
            return first(self.m.get_text_features(input_ids=input_ids))

    return Vision().eval(), Text().eval()


# ------------------------------------------------------------------------------------------------------------------
# multilingual text encoder (sentence-transformers)
# ------------------------------------------------------------------------------------------------------------------

WORDPIECE_CORPUS = """
A dog runs through the snow in the mountains. A cat sleeps on a red sofa next to the window.
A photo of a beach with palm trees at sunset. Two children play football in a green park.
Snowy mountain at sunrise, with a red cabin in the foreground! An old car parked in a quiet street.
A cup of coffee on a wooden table. Flowers in a glass vase, yellow and purple. It's 3:45pm, isn't it?
The quick brown fox jumps over the lazy dog. Rock and roll concert at night with bright lights.
Ein Hund läuft durch den Schnee. Eine Katze schläft auf dem Sofa. Blumen im Garten, Straße und Brücke.
Un chien court dans la neige. Un chat dort sur le canapé rouge. Café crème brûlée, déjà vu, à la plage.
Un perro corre por la nieve. Un gato duerme en el sofá. Una playa con palmeras al atardecer. ¿Dónde está?
Un cane corre nella neve. Un gatto dorme sul divano. Una tazza di caffè sul tavolo di legno.
Um cachorro corre na neve. Um gato dorme no sofá. Uma praia com coqueiros ao pôr do sol.
Een hond rent door de sneeuw. Een kat slaapt op de bank. Pies biegnie przez śnieg. Kot śpi na kanapie.
Köpek karda koşuyor. Kedi kanepede uyuyor. Kahve fincanı masanın üzerinde.
Собака бежит по снегу. Кошка спит на красном диване. Кошка сидит рядом с чашкой кофе. Горы и море.
Собака біжить по снігу. Кішка спить на дивані. Чашка кави на столі.
Ο σκύλος τρέχει στο χιόνι. Η γάτα κοιμάται στον καναπέ. Ένα φλιτζάνι καφέ.
一只狗在雪地里奔跑。一只猫坐在咖啡杯旁边。一只猫睡在红色的沙发上。海滩上的棕榈树和日落。山上的雪。
犬が雪の中を走っている。猫が赤いソファで寝ている。コーヒーカップとケーキ。富士山と桜の花。
눈 속을 달리는 개. 빨간 소파에서 자는 고양이. 커피 한 잔과 나무 테이블.
كلب يركض في الثلج. قطة تجلس بجانب فنجان قهوة. قطة نائمة على الأريكة الحمراء. شاطئ مع أشجار النخيل.
כלב רץ בשלג. חתול ישן על הספה. ספל קפה על השולחן.
बर्फ में दौड़ता हुआ कुत्ता। लाल सोफे पर सोती हुई बिल्ली। कॉफी का कप।
สุนัขวิ่งในหิมะ แมวนอนบนโซฟา
Chó chạy trên tuyết. Con mèo ngủ trên ghế sofa. Một tách cà phê.
🐱 cat 🐶 dog ☕ coffee 🎉 party 🌸 flower 🏔️ mountain 🌅 sunrise ❤️ love 😀 😂 👍 🙂 🚗 🏖️ 🌴 🍕 🎸
1 2 3 4 5 6 7 8 9 0 10 100 2024 3:45 ! ? . , ; : - ( ) [ ] " ' & % $ € £ ¥ @ # * + = / < > |
"""


def build_wordpiece_tokenizer(max_length: int = 128):
    """A small cased WordPiece tokenizer with mBERT's special ids and normaliser (see the module help).

    The vocabulary is built deterministically from WORDPIECE_CORPUS (the `tokenizers` WordPiece trainer breaks ties
    in hash-map order, so it gives a different vocabulary on every run): every character alone and as ##piece, every
    corpus word up to 12 characters, and word-final pieces (##s, ##ing, ...) that occur at least twice."""
    from collections import Counter

    from tokenizers import normalizers, pre_tokenizers
    from transformers import DistilBertTokenizer

    norm = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=False)
    pre = pre_tokenizers.BertPreTokenizer()
    words: Counter[str] = Counter()
    for line in WORDPIECE_CORPUS.strip().split("\n"):
        for w, _ in pre.pre_tokenize_str(norm.normalize_str(line)):
            words[w] += 1
    chars = sorted({c for w in words for c in w})
    suffixes: Counter[str] = Counter()
    for w, n in words.items():
        for k in (2, 3, 4):
            if len(w) > k + 1:
                suffixes["##" + w[-k:]] += n
    pieces = chars + ["##" + c for c in chars]
    pieces += [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])) if len(w) <= 12]
    pieces += [p for p, n in sorted(suffixes.items(), key=lambda kv: (-kv[1], kv[0])) if n >= 2]
    # mBERT layout: [PAD]=0, [unused1..99]=1..99, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103
    vocab_list = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    seen = set(vocab_list)
    for p in pieces:
        if p not in seen:
            seen.add(p)
            vocab_list.append(p)
    vocab = {t: i for i, t in enumerate(vocab_list)}
    tok = DistilBertTokenizer(vocab=vocab, do_lower_case=False, tokenize_chinese_chars=True, strip_accents=None,
                              model_max_length=max_length)
    assert (tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id) == (0, 100, 101, 102)
    return tok


def load_multilingual(args, workdir: Path):
    """Returns a SentenceTransformer. The tiny one is assembled from modules, saved in the sentence-transformers
    folder format and loaded back through SentenceTransformer(folder), the same path a real model takes."""
    import torch
    from sentence_transformers import SentenceTransformer

    if args.multilingual:
        st = SentenceTransformer(args.multilingual, device="cpu")
        return st.eval(), args.multilingual

    from sentence_transformers.sentence_transformer.modules import Dense, Pooling, Transformer
    from transformers import DistilBertConfig, DistilBertModel

    torch.manual_seed(args.seed)
    tok = build_wordpiece_tokenizer()
    cfg = DistilBertConfig(vocab_size=len(tok), dim=32, hidden_dim=64, n_layers=2, n_heads=2, max_position_embeddings=512,
                           pad_token_id=0, activation="gelu", sinusoidal_pos_embds=False)
    bert = DistilBertModel(cfg).eval()
    g = torch.Generator().manual_seed(args.seed + 1)
    with torch.no_grad():  # spread the embeddings so different texts land in clearly different directions
        bert.embeddings.word_embeddings.weight.copy_(torch.randn(bert.embeddings.word_embeddings.weight.shape, generator=g))
    hf_dir = workdir / "hf"
    bert.save_pretrained(str(hf_dir))
    tok.save_pretrained(str(hf_dir))
    transformer = Transformer(str(hf_dir), max_seq_length=128)
    pooling = Pooling(cfg.dim, pooling_mode="mean")
    dense = Dense(cfg.dim, 512, bias=False, activation_function=torch.nn.Identity())
    with torch.no_grad():
        dense.linear.weight.copy_(torch.randn(dense.linear.weight.shape, generator=g) / math.sqrt(cfg.dim))
    st_dir = workdir / "st"
    SentenceTransformer(modules=[transformer, pooling, dense], device="cpu").save(str(st_dir))
    st = SentenceTransformer(str(st_dir), device="cpu")
    return st.eval(), f"tiny-random-multilingual (seed {args.seed}), WordPiece vocab built offline (not the real one)"


def multilingual_parts(st):
    """(hf model, tokenizer, pooling module, dense module, max_seq_length) with checks that the pipeline is the
    one this exporter knows: Transformer -> mean Pooling -> [Dense (Identity activation)] -> [Normalize]."""
    import torch

    mods = list(st)
    transformer, pooling = mods[0], mods[1]
    rest = mods[2:]
    modes = pooling.pooling_mode if isinstance(pooling.pooling_mode, tuple) else (pooling.pooling_mode,)
    if type(pooling).__name__ != "Pooling" or modes != ("mean",):
        raise SystemExit(f"unsupported pooling {type(pooling).__name__} {modes}: only mean pooling is exported")
    dense, normalize = None, False
    for m in rest:
        name = type(m).__name__
        if name == "Dense" and dense is None:
            if not isinstance(m.activation_function, torch.nn.Identity) or getattr(m, "use_residual", False):
                raise SystemExit("unsupported Dense module: activation must be Identity, no residual")
            dense = m
        elif name == "Normalize":
            normalize = True
        else:
            raise SystemExit(f"unsupported sentence-transformers module {name}")
    return transformer.auto_model, transformer.tokenizer, dense, normalize, transformer.max_seq_length


def multilingual_wrapper(st):
    import torch

    hf, _tok, dense, _normalize, _max = multilingual_parts(st)

    class Text(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hf = hf
            self.proj = dense.linear if dense is not None else torch.nn.Identity()

        def forward(self, input_ids, attention_mask):
            hidden = self.hf(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            counts = torch.clamp(mask.sum(dim=1), min=1e-9)
            return self.proj(summed / counts)

    return Text().eval()


# ------------------------------------------------------------------------------------------------------------------
# ONNX export, variants
# ------------------------------------------------------------------------------------------------------------------


def export_onnx(module, example: tuple, path: Path, input_names: list[str], output_name: str,
                dynamic: dict[str, dict[int, str]], opset: int, seq_max: int = 4096) -> str:
    """torch.onnx.export with the dynamo exporter, falling back to the TorchScript one. Returns the exporter used.
    The file is self-contained (no external data) and its dynamic axes carry readable names."""
    import onnx
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    used = None
    errors = []
    try:
        from torch.export import Dim

        dims: dict[str, Dim] = {}
        shapes = {}
        for name in input_names:
            shapes[name] = {}
            for axis, label in dynamic.get(name, {}).items():
                if label not in dims:
                    dims[label] = Dim(label, min=1, max=seq_max if label == "sequence_length" else 4096)
                shapes[name][axis] = dims[label]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prog = torch.onnx.export(module, example, dynamo=True, input_names=input_names, output_names=[output_name],
                                     dynamic_shapes=shapes, opset_version=opset, external_data=False, optimize=True,
                                     verbose=False)
        prog.save(str(path), external_data=False)
        used = f"torch.onnx.export(dynamo=True), opset {opset}"
    except Exception as e:  # noqa: BLE001 - report and fall back
        errors.append(f"dynamo: {type(e).__name__}: {str(e)[:300]}")
        try:
            axes = {name: dict(ax) for name, ax in dynamic.items()}
            axes[output_name] = {0: "batch_size"}
            torch.onnx.export(module, example, str(path), dynamo=False, input_names=input_names,
                              output_names=[output_name], dynamic_axes=axes, opset_version=opset,
                              do_constant_folding=True)
            used = f"torch.onnx.export(dynamo=False), opset {opset}"
        except Exception as e2:  # noqa: BLE001
            errors.append(f"torchscript: {type(e2).__name__}: {str(e2)[:300]}")
            raise SystemExit("ONNX export failed:\n  " + "\n  ".join(errors))
    if errors:
        log("  note: " + "; ".join(errors))
    model = onnx.load(str(path))
    name_dims(model, dynamic, output_name)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    (path.parent / (path.name + ".data")).unlink(missing_ok=True)
    return used


def name_dims(model, dynamic: dict[str, dict[int, str]], output_name: str) -> None:
    for vi in model.graph.input:
        for axis, label in dynamic.get(vi.name, {}).items():
            d = vi.type.tensor_type.shape.dim[axis]
            d.ClearField("dim_value")
            d.dim_param = label
    for vi in model.graph.output:
        if vi.name == output_name:
            d = vi.type.tensor_type.shape.dim[0]
            d.ClearField("dim_value")
            d.dim_param = "batch_size"


def write_variants(onnx_dir: Path, names: list[str]) -> dict[str, str]:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.float16 import convert_float_to_float16

    import logging

    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic suggests "pre-processing" on every call
    done = {}
    for name in names:
        src = onnx_dir / f"{name}.onnx"
        q = onnx_dir / f"{name}_quantized.onnx"
        # int8 weights: x86 runs uint8 activations x int8 weights on its fast VNNI/AVX2 path (1.5x uint8 x uint8
        # for ViT-B/32 on 2 cores). Matrix products and embedding tables; not the patch Conv, a tiny share of the work.
        quantize_dynamic(str(src), str(q), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm", "Gather"],
                         extra_options={"MatMulConstBOnly": True})
        done[q.name] = "quantize_dynamic(weight_type=QInt8, op_types_to_quantize=[MatMul, Gemm, Gather], per_channel=False)"
        f16 = onnx_dir / f"{name}_fp16.onnx"
        m = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True)
        onnx.save(m, str(f16))
        done[f16.name] = "onnxruntime.transformers.float16.convert_float_to_float16(keep_io_types=True)"
    return done


def onnx_signature(path: Path) -> dict:
    import onnx

    m = onnx.load(str(path), load_external_data=False)
    elem = {1: "float32", 7: "int64", 6: "int32", 10: "float16"}

    def io(v):
        dims = [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
        return {"name": v.name, "type": elem.get(v.type.tensor_type.elem_type, str(v.type.tensor_type.elem_type)), "shape": dims}

    return {
        "inputs": [io(v) for v in m.graph.input],
        "outputs": [io(v) for v in m.graph.output],
        "opset": max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
        "bytes": path.stat().st_size,
    }


def ort_session(path: Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def cos_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def l2n(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float64)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def dump_json(obj) -> str:
    """indent=1 JSON with every list of numbers on one line (strings never hold a raw newline, so this is safe)."""
    import re

    text = json.dumps(obj, ensure_ascii=False, indent=1)
    return re.sub(r"\[\n[ \d.eE+\-,\n]+?\n *\]", lambda m: "[" + re.sub(r"\s+", "", m.group(0)[1:-1]).replace(",", ", ") + "]",
                  text) + "\n"


def vec(v: np.ndarray) -> list[float]:
    return [float(np.float32(x)) for x in v]


# ------------------------------------------------------------------------------------------------------------------
# reference image loading (transformers.image_utils.load_image + the two documented deviations)
# ------------------------------------------------------------------------------------------------------------------


def load_reference_image(path: Path):
    """PIL open -> EXIF transpose (as load_image) -> 16-bit to 8-bit by >> 8 -> alpha composited on white -> RGB."""
    from PIL import Image, ImageOps

    info: dict = {}
    im = Image.open(path)
    info["format"] = im.format
    info["mode"] = im.mode
    info["size"] = list(im.size)
    info["frames"] = getattr(im, "n_frames", 1)
    orientation = im.getexif().get(0x0112)
    if orientation:
        info["exif_orientation"] = orientation
    im = ImageOps.exif_transpose(im)  # loads the pixels: truncated / corrupt data fails here
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        a = np.asarray(im)
        if im.mode == "I" and a.max(initial=0) <= 255 and a.min(initial=0) >= 0:
            a8 = a.astype(np.uint8)  # 8-bit data held in 32-bit ints
        else:
            a8 = (np.clip(a, 0, 65535).astype(np.uint32) >> 8).astype(np.uint8)
        im = Image.fromarray(a8, "L")
        info["bit_depth_fix"] = "16-bit -> 8-bit by >> 8"
    has_alpha = "A" in im.getbands() or im.info.get("transparency") is not None
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba).convert("RGB")
        info["alpha"] = "composited on white"
    else:
        im = im.convert("RGB")
    info["size_after_exif"] = list(im.size)
    return im, info


def preprocess_reference(proc, rgb) -> tuple[np.ndarray, np.ndarray, dict]:
    """pixel_values [3,224,224] float32 and the uint8 crop [224,224,3] (before rescale/normalise)."""
    from transformers.image_transforms import get_resize_output_image_size

    pv = proc(images=rgb, return_tensors="np")["pixel_values"][0].astype(np.float32)
    raw = proc(images=rgb, return_tensors="np", do_rescale=False, do_normalize=False)["pixel_values"][0]
    crop = np.clip(np.round(raw), 0, 255).astype(np.uint8).transpose(1, 2, 0)
    mean = np.array(proc.image_mean, dtype=np.float64)[:, None, None]
    std = np.array(proc.image_std, dtype=np.float64)[:, None, None]
    again = ((crop.transpose(2, 0, 1) * proc.rescale_factor) - mean) / std
    assert np.abs(again - pv).max() < 1e-5, "uint8 crop does not reproduce pixel_values"
    shortest = proc.size["shortest_edge"] if "shortest_edge" in proc.size else None
    arr = np.asarray(rgb).transpose(2, 0, 1)
    h, w = get_resize_output_image_size(arr, size=shortest, default_to_square=False, input_data_format="channels_first")
    ch, cw = proc.crop_size["height"], proc.crop_size["width"]
    geo = {"resized": [int(w), int(h)], "crop": {"left": (int(w) - cw) // 2, "top": (int(h) - ch) // 2, "width": cw, "height": ch}}
    return pv, crop, geo


def list_images(dirs: list[Path]) -> list[Path]:
    files = []
    for d in dirs:
        if d.is_dir():
            files += sorted(p for p in d.iterdir() if p.is_file() and not p.name.startswith("."))
        elif d.is_file():
            files.append(d)
    return files


def rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(FIXTURES.resolve()))
    except ValueError:
        return str(p)


def versions() -> dict:
    import importlib.metadata as md

    out = {"python": sys.version.split()[0]}
    for pkg in ("torch", "transformers", "tokenizers", "sentence-transformers", "onnx", "onnxruntime", "pillow", "numpy",
                "open_clip_torch"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


# ------------------------------------------------------------------------------------------------------------------
# CLIP: export + verify + expected
# ------------------------------------------------------------------------------------------------------------------


def run_clip(args, out: Path) -> None:
    import torch

    t0 = time.time()
    model, tok, proc, source = load_clip(args)
    nparams = sum(p.numel() for p in model.parameters())
    log(f"model: {source}; {nparams / 1e6:.2f} M parameters; loaded in {time.time() - t0:.1f}s")
    if not getattr(model.config, "architectures", None):
        model.config.architectures = ["CLIPModel"]
    model.config.save_pretrained(str(out))
    save_tokenizer(tok, out)
    save_image_processor(proc, out)
    proc = clip_image_processor(str(out))  # from now on use what was written
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(out))
    max_len = int(tok.model_max_length) if tok.model_max_length < 10**6 else 77

    texts = json.loads(Path(args.texts).read_text(encoding="utf-8")) if args.texts else []
    if not args.model:
        diffs = compare_with_open_clip(tok, [t["text"] for t in texts] + ["a photo of a dog", "Hello, World!"])
        log(f"tokenizer vs open_clip SimpleTokenizer: {len(texts) + 2 - len(diffs)}/{len(texts) + 2} identical")
        for d in diffs:
            log(f"  differs: {d['text']!r}\n    transformers {d['transformers']}\n    open_clip    {d['open_clip']}")

    vision, text = clip_wrappers(model)
    size = proc.crop_size["height"], proc.crop_size["width"]
    onnx_dir = out / "onnx"
    g = torch.Generator().manual_seed(0)
    ex_pixels = torch.randn(2, 3, *size, generator=g)
    ex_ids = torch.tensor(tok(["a photo of a cat", "snow"], padding=True)["input_ids"])
    t0 = time.time()
    how = export_onnx(vision, (ex_pixels,), onnx_dir / "vision_model.onnx", ["pixel_values"], "image_embeds",
                      {"pixel_values": {0: "batch_size"}}, args.opset)
    how_t = export_onnx(text, (ex_ids,), onnx_dir / "text_model.onnx", ["input_ids"], "text_embeds",
                        {"input_ids": {0: "batch_size", 1: "sequence_length"}}, args.opset,
                        seq_max=int(model.config.text_config.max_position_embeddings))
    log(f"exported vision ({how}) and text ({how_t}) in {time.time() - t0:.1f}s")
    variants = {}
    if args.quantize:
        t0 = time.time()
        variants = write_variants(onnx_dir, ["vision_model", "text_model"])
        log(f"wrote quantized + fp16 variants in {time.time() - t0:.1f}s")

    # --- reference inputs -------------------------------------------------------------------------------
    image_rows: list[dict] = []
    pixel_list: list[np.ndarray] = []
    if args.expected:
        pre_dir = out / "preprocessed"
        if pre_dir.exists():
            shutil.rmtree(pre_dir)
        pre_dir.mkdir()
        from PIL import Image

        for p in list_images([Path(d) for d in args.images]):
            row: dict = {"file": rel(p)}
            try:
                rgb, info = load_reference_image(p)
                pv, crop, geo = preprocess_reference(proc, rgb)
            except Exception as e:  # noqa: BLE001 - a bad input is a result, not a failure
                row["error"] = f"{type(e).__name__}: {e}".replace(str(p), p.name)
                image_rows.append(row)
                continue
            row["decoded"] = info
            row.update(geo)
            png = pre_dir / (p.name.rsplit(".", 1)[0] + "." + p.name.rsplit(".", 1)[-1] + ".png")
            Image.fromarray(crop, "RGB").save(png, optimize=True)
            row["preprocessed"] = str(png.relative_to(out))  # relative to the folder holding expected.json
            row["_pv_index"] = len(pixel_list)
            pixel_list.append(pv)
            image_rows.append(row)

    if pixel_list:
        pixels = np.stack(pixel_list)
    else:
        pixels = np.random.default_rng(0).standard_normal((3, 3, *size)).astype(np.float32)
    text_strings = [t["text"] for t in texts] or ["a photo of a cat", "", "snow " * 100]
    enc = tok(text_strings, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    ids_list = [row[: int(m.sum())].tolist() for row, m in zip(enc["input_ids"], enc["attention_mask"])]

    # --- torch reference ---------------------------------------------------------------------------------
    with torch.inference_mode():
        ref_img = np.concatenate([first(model.get_image_features(pixel_values=torch.from_numpy(pixels[i:i + 8]))).numpy()
                                  for i in range(0, len(pixels), 8)])
        ref_txt = first(model.get_text_features(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"])).numpy()
        # each text alone, unpadded: the batch padding must not change anything (causal mask)
        solo = np.stack([first(model.get_text_features(input_ids=torch.tensor([ids]))).numpy()[0] for ids in ids_list])
    solo_cos = cos_rows(solo, ref_txt).min()

    # --- ONNX vs torch -----------------------------------------------------------------------------------
    report = {}
    names = [("fp32", "")] + ([("quantized", "_quantized"), ("fp16", "_fp16")] if args.quantize else [])
    pad_id = tok.pad_token_id
    for label, suffix in names:
        sv = ort_session(onnx_dir / f"vision_model{suffix}.onnx")
        st = ort_session(onnx_dir / f"text_model{suffix}.onnx")
        o_img = np.concatenate([sv.run(["image_embeds"], {"pixel_values": pixels[i:i + 8]})[0] for i in range(0, len(pixels), 8)])
        o_txt = st.run(["text_embeds"], {"input_ids": enc["input_ids"].numpy().astype(np.int64)})[0]
        # pad with 0 instead of the pad token: causal attention means the embedding must not change
        alt = enc["input_ids"].numpy().copy()
        alt[enc["attention_mask"].numpy() == 0] = 0
        o_alt = st.run(["text_embeds"], {"input_ids": alt.astype(np.int64)})[0]
        ci, ct, ca = cos_rows(o_img, ref_img), cos_rows(o_txt, ref_txt), cos_rows(o_alt, ref_txt)
        report[label] = {
            "image_min_cos": float(ci.min()), "image_mean_cos": float(ci.mean()),
            "text_min_cos": float(ct.min()), "text_mean_cos": float(ct.mean()),
            "text_padded_with_0_min_cos": float(ca.min()),
            "image_max_abs_diff_normalised": float(np.abs(l2n(o_img) - l2n(ref_img)).max()),
            "text_max_abs_diff_normalised": float(np.abs(l2n(o_txt) - l2n(ref_txt)).max()),
        }
        log(f"onnxruntime {label:9s} vs torch: image cos min {ci.min():.7f} mean {ci.mean():.7f} | "
            f"text cos min {ct.min():.7f} mean {ct.mean():.7f} | text padded with 0 (not {pad_id}) min {ca.min():.7f} "
            f"[{len(pixels)} images, {len(text_strings)} texts]")
    log(f"torch: each text alone vs padded batch: min cos {solo_cos:.8f}")
    ok = report["fp32"]["image_min_cos"] >= 0.9999 and report["fp32"]["text_min_cos"] >= 0.9999
    if not ok:
        raise SystemExit("fp32 ONNX does not match torch (cosine < 0.9999)")

    # pairwise spread of the reference image embeddings (a fixture needs different images to differ)
    if len(ref_img) > 1:
        n = l2n(ref_img)
        sims = n @ n.T
        off = sims[~np.eye(len(n), dtype=bool)]
        log(f"reference image embeddings: pairwise cosine min {off.min():.3f} median {np.median(off):.3f} max {off.max():.3f}")

    if not args.expected:
        write_export_info(out, args, source, {"vision": how, "text": how_t}, variants, report)
        return

    for row in image_rows:
        if "_pv_index" in row:
            row["embedding"] = vec(l2n(ref_img[row.pop("_pv_index")]))
    text_rows = []
    for i, t in enumerate(texts):
        text_rows.append({**t, "input_ids": ids_list[i], "truncated": len(tok(t["text"])["input_ids"]) > max_len,
                          "embedding": vec(l2n(ref_txt[i]))})
    pool = "argmax(input_ids) (legacy, eos_token_id==2)" if model.config.text_config.eos_token_id == 2 else \
        f"first position of eos_token_id {model.config.text_config.eos_token_id}"
    expected = {
        "format": 1,
        "model": {"kind": "clip", "source": source, "dims": int(model.config.projection_dim),
                  "image_size": list(size), "max_length": max_len, "text_pooling": pool,
                  "parameters": nparams},
        "generated_by": "scripts/export-onnx.py " + " ".join(sys.argv[1:]),
        "versions": versions(),
        "onnx": {"vision_model.onnx": onnx_signature(onnx_dir / "vision_model.onnx"),
                 "text_model.onnx": onnx_signature(onnx_dir / "text_model.onnx")},
        "tokenizer": {
            "bos_token_id": tok.bos_token_id, "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id,
            "max_length": max_len,
            "padding": f"right, with pad_token_id {tok.pad_token_id} (<|endoftext|>); the graph has no attention_mask "
                       "input, causal attention makes padding irrelevant (checked: padding with 0 gives the same vectors)",
            "truncation": f"to {max_len} ids keeping the end token: [49406, first {max_len - 2} text ids, 49407]",
            "special_text": "a literal '<|endoftext|>' in user text becomes id 49407 and pooling stops there",
        },
        "reference_pipeline": REFERENCE_PIPELINE_CLIP,
        "tolerances": {"note": "min cosine of each ONNX variant (onnxruntime CPU, Python) against the torch reference "
                               "on identical inputs", **report},
        "images": image_rows,
        "texts": text_rows,
    }
    (out / "expected.json").write_text(dump_json(expected), encoding="utf-8")
    write_export_info(out, args, source, {"vision": how, "text": how_t}, variants, report)
    n_err = sum(1 for r in image_rows if "error" in r)
    log(f"expected.json: {len(image_rows)} images ({n_err} errors), {len(text_rows)} texts")
    check_manifest(image_rows)


REFERENCE_PIPELINE_CLIP = {
    "image": [
        "PIL.Image.open(path) (default Image.MAX_IMAGE_PIXELS 89478485; more than twice that raises "
        "DecompressionBombError); multi-frame files: the first frame",
        "PIL.ImageOps.exif_transpose (what transformers.image_utils.load_image does); this decodes the pixels, so "
        "truncated or corrupt data fails here",
        "DEVIATION 1 from load_image: 16-bit modes (I;16*, I) are scaled to 8 bit by value >> 8 (PIL's convert() "
        "would clip everything above 255 to white)",
        "DEVIATION 2 from load_image: images with alpha (RGBA, LA, PA, P or L with a transparency entry) are "
        "alpha-composited over opaque white, then RGB (load_image's convert('RGB') drops alpha and shows the "
        "colour hidden under transparent pixels); transformers' convert_to_rgb composites the same way",
        "everything else: Image.convert('RGB') (L/1 replicated, P through the palette, CMYK by PIL's naive formula "
        "without an ICC profile); embedded ICC profiles are ignored (the fixture photos carry sRGB ones)",
        "transformers CLIPImageProcessorPil (the PIL backend; transformers 5 defaults to a torchvision backend): "
        "resize so the shortest edge is 224 with PIL BICUBIC, the other edge int(224 * long / short) (floored); "
        "centre crop 224x224 at left = (w - 224) // 2, top = (h - 224) // 2; x * (1/255); (x - mean) / std with "
        "OPENAI_CLIP_MEAN [0.48145466, 0.4578275, 0.40821073] and OPENAI_CLIP_STD [0.26862954, 0.26130258, 0.27577711]; "
        "CHW float32. preprocessed/<file>.png is the uint8 crop before x/255",
        "CLIPModel.get_image_features(pixel_values).pooler_output (projected, not normalised) in batches of 8; "
        "stored L2-normalised",
    ],
    "text": [
        "CLIPTokenizer (tokenizers backend) from tokenizer.json: NFC, whitespace runs -> ' ', lowercase, CLIP regex "
        "split, byte-level BPE with '</w>'; <|startoftext|> (49406) + ids + <|endoftext|> (49407). No ftfy/html "
        "unescape (OpenAI's and open_clip's tokenizers do that: 'rock &amp; roll' differs)",
        "tokenizer(texts, padding=True, truncation=True, max_length=77): right padding with 49407, truncation keeps "
        "the end token",
        "CLIPModel.get_text_features(input_ids, attention_mask).pooler_output (projected, not normalised); "
        "stored L2-normalised. input_ids in texts[] are unpadded",
    ],
}


def check_manifest(image_rows: list[dict]) -> None:
    mpath = FIXTURES / "manifest.json"
    if not mpath.exists():
        return
    want = {m["file"]: m["expect"] for m in json.loads(mpath.read_text())["files"]}
    for r in image_rows:
        exp = want.get(r["file"])
        got = "error" if "error" in r else "ok"
        if exp and exp != got:
            log(f"  WARNING: {r['file']}: manifest expects {exp}, reference gave {got} ({r.get('error', '')})")


def write_export_info(out: Path, args, source: str, how: dict, variants: dict, report: dict) -> None:
    info = {
        "source": source,
        "command": "scripts/export-onnx.py " + " ".join(sys.argv[1:]),
        "exporter": how,
        "variants": variants,
        "onnx_vs_reference": report,
        "versions": versions(),
    }
    (out / "export_info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------------------------------------
# multilingual: export + verify + expected
# ------------------------------------------------------------------------------------------------------------------


def run_multilingual(args, out: Path) -> None:
    import torch

    work = Path(tempfile.mkdtemp(prefix="lookalike-mclip-"))
    try:
        st, source = load_multilingual(args, work)
        hf, tok, dense, normalize, max_len = multilingual_parts(st)
        dims = dense.out_features if dense is not None else hf.config.hidden_size
        log(f"model: {source}; {sum(p.numel() for p in st.parameters()) / 1e6:.2f} M parameters; "
            f"max_seq_length {max_len}; output {dims}")
        cfg = hf.config
        cfg.projection_dim = int(dims)  # extra keys describing the pooled graph, read by our TS side
        cfg.pooling = "mean"
        cfg.max_seq_length = int(max_len)
        cfg.save_pretrained(str(out))
        tok.model_max_length = int(max_len)
        save_tokenizer(tok, out)
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(out))

        wrapper = multilingual_wrapper(st)
        ex = tok(["a photo of a cat", "снег"], padding=True, return_tensors="pt")
        onnx_dir = out / "onnx"
        t0 = time.time()
        how = export_onnx(wrapper, (ex["input_ids"], ex["attention_mask"]), onnx_dir / "text_model.onnx",
                          ["input_ids", "attention_mask"], "text_embeds",
                          {"input_ids": {0: "batch_size", 1: "sequence_length"},
                           "attention_mask": {0: "batch_size", 1: "sequence_length"}}, args.opset,
                          seq_max=int(getattr(hf.config, "max_position_embeddings", 512)))
        log(f"exported text ({how}) in {time.time() - t0:.1f}s")
        variants = write_variants(onnx_dir, ["text_model"]) if args.quantize else {}

        texts = json.loads(Path(args.texts).read_text(encoding="utf-8")) if args.texts else []
        strings = [t["text"] for t in texts] or ["a photo of a cat", "", "Schnee " * 300]
        ref = st.encode(strings, batch_size=64, convert_to_numpy=True, normalize_embeddings=False)
        enc = tok(strings, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
        ids_list = [r[: int(m.sum())].tolist() for r, m in zip(enc["input_ids"], enc["attention_mask"])]
        with torch.inference_mode():
            mine = wrapper(enc["input_ids"], enc["attention_mask"]).numpy()
        log(f"export wrapper (torch) vs SentenceTransformer.encode: min cos {cos_rows(mine, ref).min():.8f}")
        report = {}
        names = [("fp32", "")] + ([("quantized", "_quantized"), ("fp16", "_fp16")] if args.quantize else [])
        for label, suffix in names:
            s = ort_session(onnx_dir / f"text_model{suffix}.onnx")
            feeds = {"input_ids": enc["input_ids"].numpy().astype(np.int64),
                     "attention_mask": enc["attention_mask"].numpy().astype(np.int64)}
            o = s.run(["text_embeds"], feeds)[0]
            solo = np.stack([s.run(["text_embeds"], {"input_ids": np.array([ids], dtype=np.int64),
                                                     "attention_mask": np.ones((1, len(ids)), dtype=np.int64)})[0][0]
                             for ids in ids_list])
            c, cs = cos_rows(o, ref), cos_rows(solo, ref)
            report[label] = {"text_min_cos": float(c.min()), "text_mean_cos": float(c.mean()),
                             "text_unpadded_min_cos": float(cs.min()),
                             "text_max_abs_diff_normalised": float(np.abs(l2n(o) - l2n(ref)).max())}
            log(f"onnxruntime {label:9s} vs SentenceTransformer.encode: text cos min {c.min():.7f} mean {c.mean():.7f} | "
                f"one at a time, unpadded: min {cs.min():.7f} [{len(strings)} texts]")
        if report["fp32"]["text_min_cos"] < 0.9999:
            raise SystemExit("fp32 ONNX does not match sentence-transformers (cosine < 0.9999)")
        n = l2n(ref)
        sims = (n @ n.T)[~np.eye(len(n), dtype=bool)]
        log(f"reference text embeddings: pairwise cosine min {sims.min():.3f} median {np.median(sims):.3f} max {sims.max():.3f}")

        if args.expected:
            rows = []
            for i, t in enumerate(texts):
                full = tok(t["text"])["input_ids"]
                rows.append({**t, "input_ids": ids_list[i], "tokens": tok.convert_ids_to_tokens(ids_list[i]),
                             "truncated": len(full) > max_len, "embedding": vec(l2n(ref[i]))})
            expected = {
                "format": 1,
                "model": {"kind": "multilingual-text", "source": source, "dims": int(dims), "max_length": int(max_len),
                          "pooling": "mean over attention_mask", "projection": f"Linear {hf.config.hidden_size if hasattr(hf.config, 'hidden_size') else ''}->{dims} without bias" if dense is not None else None,
                          "normalize_module": normalize},
                "generated_by": "scripts/export-onnx.py " + " ".join(sys.argv[1:]),
                "versions": versions(),
                "onnx": {"text_model.onnx": onnx_signature(onnx_dir / "text_model.onnx")},
                "tokenizer": {"cls_token_id": tok.cls_token_id, "sep_token_id": tok.sep_token_id,
                              "pad_token_id": tok.pad_token_id, "unk_token_id": tok.unk_token_id,
                              "max_length": int(max_len),
                              "padding": f"right with {tok.pad_token_id}; attention_mask 1 for real tokens, 0 for padding",
                              "truncation": f"to {max_len} ids keeping [SEP]: [CLS] + first {max_len - 2} + [SEP]",
                              "note": None if args.multilingual else "tiny vocabulary built offline, not the real "
                              "multilingual-cased vocab; ids only mean something for this fixture"},
                "reference_pipeline": {
                    "text": [
                        "SentenceTransformer(folder) loaded from the sentence-transformers format: "
                        "Transformer(max_seq_length) -> Pooling(mean) -> Dense(bias=False, Identity)",
                        "SentenceTransformer.encode(texts, normalize_embeddings=False), stored L2-normalised",
                        "input_ids: the model's tokenizer with truncation to max_seq_length, unpadded "
                        "(BertNormalizer: clean text, CJK chars split, cased, no accent stripping; BertPreTokenizer; WordPiece ##)",
                    ]
                },
                "tolerances": {"note": "min cosine of each ONNX variant against SentenceTransformer.encode", **report},
                "texts": rows,
            }
            (out / "expected.json").write_text(dump_json(expected), encoding="utf-8")
            log(f"expected.json: {len(rows)} texts")
        write_export_info(out, args, source, {"text": how}, variants, report)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--model", metavar="ID|DIR", help="real CLIP checkpoint (hub id or local folder)")
    mode.add_argument("--tiny-random", action="store_true", help="seeded tiny CLIP with the real tokenizer")
    mode.add_argument("--random-init", action="store_true", help="full-size ViT-B/32, random weights (benchmarks)")
    mode.add_argument("--multilingual", metavar="ID|DIR", help="sentence-transformers multilingual CLIP text encoder")
    mode.add_argument("--tiny-random-multilingual", action="store_true",
                      help="tiny random DistilBERT -> mean -> Dense 32->512 with an offline-built WordPiece vocab")
    mode.add_argument("--open-clip", metavar="FAMILY", choices=["clip", "siglip2", "xlmr"],
                      help="an open_clip model in immich's layout, random weights (see scripts/open_clip_export.py)")
    ap.add_argument("--size", choices=["tiny", "full"], default="tiny",
                    help="--open-clip: tiny (test fixture) or full (published architecture, for benchmarks)")
    ap.add_argument("--out", required=True, help="output folder (its onnx/ and generated files are replaced)")
    ap.add_argument("--quantize", action="store_true", help="also write onnx/*_quantized.onnx and onnx/*_fp16.onnx")
    ap.add_argument("--seed", type=int, default=1234, help="seed for the random modes (default 1234)")
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET, help=f"ONNX opset (default {DEFAULT_OPSET})")
    ap.add_argument("--expected", action=argparse.BooleanOptionalAction, default=None,
                    help="write expected.json (default: on for the tiny modes, off otherwise)")
    ap.add_argument("--images", nargs="*", default=[str(FIXTURES / "images"), str(FIXTURES / "derived")],
                    help="image files or folders for expected.json (default: test/fixtures/images and derived)")
    ap.add_argument("--texts", default=str(FIXTURES / "texts.json"), help="texts.json for expected.json")
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    args = ap.parse_args()
    if args.expected is None:
        args.expected = bool(args.tiny_random or args.tiny_random_multilingual or
                             (args.open_clip and args.size == "tiny"))

    import torch

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("onnx", "preprocessed", "visual", "textual"):
        if (out / stale).exists():
            shutil.rmtree(out / stale)
    for f in ("expected.json", "export_info.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
              "preprocessor_config.json", "config.json"):
        (out / f).unlink(missing_ok=True)
    t0 = time.time()
    if args.open_clip:
        import open_clip_export

        open_clip_export.run(args, out, sys.modules[__name__])
    elif args.multilingual or args.tiny_random_multilingual:
        run_multilingual(args, out)
    else:
        run_clip(args, out)
    log(f"done in {time.time() - t0:.1f}s -> {out}")
    for p in sorted(out.rglob("*")):
        if p.is_file() and (p.suffix in (".onnx", ".json")):
            log(f"  {p.relative_to(out)}  {p.stat().st_size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
