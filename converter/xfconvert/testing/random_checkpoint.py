"""
Small randomly initialised checkpoints that transformers builds from configs (nothing downloaded), saved
with save_pretrained, for the converter's parity tests. Their shapes are chosen never to coincide:
queries vs patch tokens, vision vs Q-Former vs LM widths, so a mixed-up axis cannot go unnoticed.

python -m xfconvert.testing.random_checkpoint OUT --kind opt [--seed N] [--corpus FILE]
"""
from __future__ import annotations

import argparse
import json
import os

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

# OPT's special tokens and ids: <s>=0, <pad>=1, </s>=2 (BOS and EOS), <unk>=3
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]

SHAPES = {
    # ViT-B/16-like layout at 224 px (196 patches + CLS = 197 tokens), 32 queries, all widths different
    "opt": dict(vision=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                            image_size=224, patch_size=16),
                qformer=dict(hidden_size=40, intermediate_size=72, num_hidden_layers=2, num_attention_heads=5,
                             cross_attention_frequency=1),
                text=dict(hidden_size=56, ffn_dim=112, num_hidden_layers=3, num_attention_heads=4,
                          max_position_embeddings=192),
                queries=32),
    # the checkpoint no test uses by name: other shapes again (14 px patches at 196 px: 197 tokens; 24 queries)
    "opt-holdout": dict(vision=dict(hidden_size=36, intermediate_size=60, num_hidden_layers=1, num_attention_heads=3,
                                    image_size=196, patch_size=14),
                        qformer=dict(hidden_size=44, intermediate_size=64, num_hidden_layers=1,
                                     num_attention_heads=4, cross_attention_frequency=1),
                        text=dict(hidden_size=60, ffn_dim=90, num_hidden_layers=2, num_attention_heads=5,
                                  max_position_embeddings=160),
                        queries=24),
    # Flan-T5's layout (gated-GELU, untied head) with a head width (heads x d_kv = 48) unlike d_model (52),
    # and more decoder than encoder layers
    "t5": dict(vision=dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                           image_size=224, patch_size=16),
               qformer=dict(hidden_size=40, intermediate_size=72, num_hidden_layers=2, num_attention_heads=5,
                            cross_attention_frequency=1),
               text=dict(d_model=52, d_kv=12, d_ff=88, num_layers=2, num_decoder_layers=3, num_heads=4,
                         relative_attention_num_buckets=8, relative_attention_max_distance=20,
                         feed_forward_proj="gated-gelu", tie_word_embeddings=False),
               queries=32),
}

# BLIP-2 at a real but CPU-sized shape, for `npm run bench`: ViT-B/16 at 224 px (197 tokens), a
# BERT-base-sized Q-Former with 32 queries (cross-attention every other layer, as BLIP-2's), OPT-125M
# with its 50272-token vocabulary
SHAPES["blip2-base"] = dict(
    vision=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, image_size=224,
                patch_size=16),
    qformer=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                 cross_attention_frequency=2),
    text=dict(hidden_size=768, ffn_dim=3072, num_hidden_layers=12, num_attention_heads=12, max_position_embeddings=2048),
    queries=32)
OPT_VOCAB = 50272
# the same vision side with an OPT-1.3B-shaped LM, for `npm run bench -- --full`'s memory point
SHAPES["blip2-opt1.3b"] = {**SHAPES["blip2-base"],
                           "text": dict(hidden_size=2048, ffn_dim=8192, num_hidden_layers=24, num_attention_heads=32,
                                        max_position_embeddings=2048)}


def synthetic_words(n: int, seed: int = 0) -> list[str]:
    """Made-up words enough for a byte-level BPE to learn OPT's number of tokens from."""
    import random
    rng = random.Random(seed)
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "st", "ng", "qu"]
    return [" ".join("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(12)) for _ in range(n)]


# an X-Former: the "opt" BLIP-2 with a Q-Former whose cross-attention is on every other layer (0 and 2 of 3,
# as BLIP-2's own), and an MAE ViT at 32 px patches: 50 tokens against CLIP's 197, 44 wide against 48
XFORMER_QFORMER = dict(hidden_size=40, intermediate_size=72, num_hidden_layers=3, num_attention_heads=5,
                       cross_attention_frequency=2)
XFORMER_MAE = dict(hidden_size=44, intermediate_size=80, num_hidden_layers=2, num_attention_heads=4, image_size=224,
                   patch_size=32)
XFORMER_DUAL_HEADS = 4

# T5's special tokens and ids: <pad>=0 (also the decoder's start), </s>=1 (EOS), <unk>=2
T5_SPECIALS = ["<pad>", "</s>", "<unk>"]


def unigram_tokenizer(corpus: list[str], vocab_size: int) -> Tokenizer:
    """A sentencepiece-style Unigram with T5's layout: EOS appended by the post-processor."""
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=T5_SPECIALS, unk_token="<unk>",
                                      show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", 1)])
    return tok


def byte_level_tokenizer(corpus: list[str], vocab_size: int) -> Tokenizer:
    """A byte-level BPE with OPT's layout: BOS (</s>) prepended by the post-processor."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    tok.post_processor = processors.TemplateProcessing(single="</s> $A", pair="</s> $A </s> $B",
                                                       special_tokens=[("</s>", 2)])
    return tok


def random_blip2(shape: dict, text_config) -> transformers.Blip2ForConditionalGeneration:
    config = transformers.Blip2Config(vision_config=shape["vision"],
                                      qformer_config={**shape["qformer"], "encoder_hidden_size": shape["vision"]["hidden_size"]},
                                      text_config=text_config.to_dict(), num_query_tokens=shape["queries"])
    model = transformers.Blip2ForConditionalGeneration(config).eval()
    with torch.no_grad():
        # the zero-initialised query tokens would make every image's visual tokens alike
        model.query_tokens.normal_(0, 1.0)
    return model


def save_tokenizer(tok: Tokenizer, out: str, **specials: str) -> None:
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, clean_up_tokenization_spaces=True, **specials).save_pretrained(out)


# LM heads wider than the tokenizer's vocabulary, as the released models have them (OPT: 50,272 logits
# for 50,265 tokens; Flan-T5: 32,128 for 32,100): the hold-out OPT, the T5 and the X-Former's BLIP-2 get
# them (the room transformers 5's "<image>" token takes, testing/transformers5_save.py)
HEAD_PADDING = {"opt-holdout": 7, "t5": 28, "xformer": 5}


def build_opt(out: str, shape: dict, corpus: list[str], vocab_size: int, head_padding: int = 0) -> None:
    tok = byte_level_tokenizer(corpus + ["\n"], vocab_size)
    text = transformers.OPTConfig(vocab_size=tok.get_vocab_size() + head_padding, word_embed_proj_dim=shape["text"]["hidden_size"],
                                  bos_token_id=2, eos_token_id=2, pad_token_id=1, **shape["text"])
    model = random_blip2(shape, text)
    with torch.no_grad():
        # random weights barely ever emit the end-of-answer token; make it likely enough that answers of
        # every length occur, so the beams' end handling and length penalty are exercised (OPT's head is
        # tied to its embeddings)
        newline = tok.encode("\n", add_special_tokens=False).ids[0]
        model.language_model.get_input_embeddings().weight[newline] *= 3.0
    model.save_pretrained(out, safe_serialization=True)
    save_tokenizer(tok, out, bos_token="</s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>")


def build_t5(out: str, shape: dict, corpus: list[str], head_padding: int = 0) -> None:
    tok = unigram_tokenizer(corpus, 400)
    text = transformers.T5Config(vocab_size=tok.get_vocab_size() + head_padding, pad_token_id=0, eos_token_id=1,
                                 decoder_start_token_id=0, **shape["text"])
    model = random_blip2(shape, text)
    with torch.no_grad():
        # as for OPT: make EOS likely enough that answers of every length occur (Flan-T5's head is untied)
        model.language_model.lm_head.weight[1] *= 1.5
    model.save_pretrained(out, safe_serialization=True)
    save_tokenizer(tok, out, eos_token="</s>", pad_token="<pad>", unk_token="<unk>")


def build_blip2(out: str, shape: dict, lm: str, corpus: list[str], vocab_size: int = 420, head_padding: int = 0) -> None:
    os.makedirs(out, exist_ok=True)
    size = shape["vision"]["image_size"]
    transformers.BlipImageProcessor(size={"height": size, "width": size}).save_pretrained(out)
    if lm == "t5":
        build_t5(out, shape, corpus, head_padding)
    else:
        build_opt(out, shape, corpus, vocab_size, head_padding)


# the second X-Former placement the tests check (docs/xformer-checkpoint.md): the dual cross-attention
# post-norm, after whole Q-Former layers (one without a cross-attention to the image, and the last),
# reading the MAE's first layer; the "xformer" kind has the defaults (pre-norm, after each
# cross-attention, the MAE's last_hidden_state)
XFORMER_PLACEMENTS = {"xformer": {}, "xformer-late": {"dualAfter": "layer", "dualLayers": [1, 2], "dualNorm": "post", "maeLayer": 1}}


def build_xformer(out: str, corpus: list[str], placement: dict) -> None:
    """An X-Former checkpoint folder as docs/xformer-checkpoint.md lays it out."""
    from safetensors.torch import save_file

    from ..xformer import XFormerFusion
    build_blip2(os.path.join(out, "blip2"), {**SHAPES["opt"], "qformer": XFORMER_QFORMER}, "opt", corpus,
                head_padding=HEAD_PADDING["xformer"])
    mae = transformers.ViTMAEModel(transformers.ViTMAEConfig(mask_ratio=0.0, **XFORMER_MAE)).eval()
    mae.save_pretrained(os.path.join(out, "mae"), safe_serialization=True)
    # MAE's own preprocessing: bilinear, ImageNet's mean and std (not CLIP's)
    transformers.ViTImageProcessor(size={"height": 224, "width": 224}, image_mean=[0.485, 0.456, 0.406],
                                   image_std=[0.229, 0.224, 0.225]).save_pretrained(os.path.join(out, "mae"))
    crossing = [i for i in range(XFORMER_QFORMER["num_hidden_layers"]) if i % XFORMER_QFORMER["cross_attention_frequency"] == 0]
    fusion = XFormerFusion(placement.get("dualLayers", crossing), XFORMER_MAE["hidden_size"], XFORMER_QFORMER["hidden_size"],
                           XFORMER_DUAL_HEADS, placement.get("dualNorm", "pre"))
    save_file({k: v.contiguous() for k, v in fusion.state_dict().items()}, os.path.join(out, "fusion.safetensors"))
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"architectures": ["XFormerForConditionalGeneration"],
                   "xformer": {"blip2": "blip2", "mae": "mae", "fusion": "fusion.safetensors",
                               "dualHeads": XFORMER_DUAL_HEADS, **placement}}, f, indent=2)


def build(out: str, kind: str, corpus: list[str], seed: int = 0) -> str:
    torch.manual_seed(seed)
    if kind in XFORMER_PLACEMENTS:
        build_xformer(out, corpus, XFORMER_PLACEMENTS[kind])
    else:
        vocab = {"opt": 420, "blip2-base": OPT_VOCAB, "blip2-opt1.3b": OPT_VOCAB}.get(kind, 380)
        if kind.startswith("blip2-"):
            corpus = corpus + synthetic_words(60_000, seed)
        build_blip2(out, SHAPES[kind], "t5" if kind == "t5" else "opt", corpus, vocab, HEAD_PADDING.get(kind, 0))
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--kind", choices=sorted(SHAPES) + sorted(XFORMER_PLACEMENTS), default="opt")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpus", help="JSON list of texts the tokenizer is trained on")
    a = p.parse_args()
    corpus = json.load(open(a.corpus)) if a.corpus else ["Question: what is it? Short answer: a red cube"]
    build(a.out, a.kind, corpus, a.seed)


if __name__ == "__main__":
    main()
