"""
X-Former at real shapes: a BLIP-2 checkpoint, a frozen MAE ViT (transformers' ViTMAEModel) and the
dual cross-attention between them, laid out as docs/xformer-checkpoint.md defines. No official X-Former
code is public: the dual cross-attention is dual_attention.py's (the one the model zoo trains with), at
any width, placed where the checkpoint's config says (xformer_config.py; by default after each Q-Former
layer's cross-attention to the image, as in the zoo's FusionLayer).
"""
from __future__ import annotations

import glob
import os
import re

import torch
import transformers
from safetensors import safe_open
from safetensors.torch import load_file

from .checkpoint import ConvertError
from .dual_attention import DualCrossAttention
from .xformer_config import Placement, XFormerParts
from .loading import load_checked

ARCHITECTURE = "XFormerForConditionalGeneration"


class XFormerFusion(torch.nn.Module):
    """mae_in (MAE width to the Q-Former's) and one DualCrossAttention per Q-Former layer the placement names."""

    def __init__(self, qformer_layers: list[int], mae_dim: int, dim: int, heads: int, norm: str = "pre"):
        super().__init__()
        self.mae_in = torch.nn.Linear(mae_dim, dim)
        self.dual = torch.nn.ModuleDict({str(i): DualCrossAttention(dim, heads, norm) for i in qformer_layers})


class _MaeState:
    """The MAE features as the dual cross-attention updates them, layer after layer, during one forward."""
    m: torch.Tensor | None = None


class ThenDual(torch.nn.Module):
    """A Q-Former module (a layer's cross-attention, or the whole layer), then the dual cross-attention on its output queries."""

    def __init__(self, inner: torch.nn.Module, dual: DualCrossAttention, state: _MaeState):
        super().__init__()
        self.inner = inner
        self.dual = dual
        self.state = state

    def forward(self, *args, **kwargs):
        out = self.inner(*args, **kwargs)
        q, self.state.m = self.dual(out[0], self.state.m)
        return (q,) + tuple(out[1:])


class MaeGraph(torch.nn.Module):
    """The frozen MAE encoder without masking: mask_ratio 0 keeps every patch, and noise that sorts to
    the identity keeps them in image order (ViTMAEModel would shuffle them at random otherwise)."""

    def __init__(self, mae: transformers.ViTMAEModel, layer: int | None = None):
        super().__init__()
        self.mae = mae
        self.layer = layer
        self.patches = (mae.config.image_size // mae.config.patch_size) ** 2

    def forward(self, pixel_values):
        noise = torch.arange(self.patches, dtype=torch.float32).unsqueeze(0).expand(pixel_values.shape[0], -1)
        if self.layer is None:
            return self.mae(pixel_values, noise=noise, return_dict=True).last_hidden_state
        # hidden_states[0] is the embeddings, [k] layer k's output (before the final LayerNorm)
        return self.mae(pixel_values, noise=noise, output_hidden_states=True, return_dict=True).hidden_states[self.layer]


class XFormerFusionGraph(torch.nn.Module):
    """
    BLIP-2's fusion (query tokens, Q-Former, projection into the LM) with the dual cross-attention inside:
    transformers' Blip2QFormerModel runs unchanged, its cross-attention modules wrapped.
    """

    def __init__(self, blip2, fusion: XFormerFusion, placement: Placement):
        super().__init__()
        self.query_tokens = blip2.query_tokens
        self.qformer = blip2.qformer
        self.language_projection = blip2.language_projection
        self.mae_in = fusion.mae_in
        self.state = _MaeState()
        layers = self.qformer.encoder.layer
        for i in placement.layers:
            dual = fusion.dual[str(i)]
            if placement.after == "cross-attention":
                layers[i].crossattention = ThenDual(layers[i].crossattention, dual, self.state)
            else:
                layers[i] = ThenDual(layers[i], dual, self.state)

    def forward(self, image_features, mae_features):
        self.state.m = self.mae_in(mae_features)
        mask = torch.ones(image_features.shape[:-1], dtype=torch.long)
        queries = self.query_tokens.expand(image_features.shape[0], -1, -1)
        out = self.qformer(query_embeds=queries, encoder_hidden_states=image_features, encoder_attention_mask=mask,
                           return_dict=True).last_hidden_state
        self.state.m = None
        return self.language_projection(out)


# transformers 5 renamed ViTMAEModel's modules (layers.N.attention.q_proj, mlp.fc1, ...). It saves them
# under 4.x's names by default (save_original_format=True reverts its conversion_mapping.py "ViTModel"
# renaming), but a folder saved with save_original_format=False holds the new ones. This is that
# renaming in reverse, in the order that keeps each rule from seeing another's output.
VIT_NEW_TO_ORIGINAL = [
    (re.compile(r"(^|\.)layers\.(\d+)\."), r"\1encoder.layer.\2."),
    (re.compile(r"\.attention\.q_proj\."), ".attention.attention.query."),
    (re.compile(r"\.attention\.k_proj\."), ".attention.attention.key."),
    (re.compile(r"\.attention\.v_proj\."), ".attention.attention.value."),
    (re.compile(r"\.attention\.o_proj\."), ".attention.output.dense."),
    (re.compile(r"\.mlp\.fc1\."), ".intermediate.dense."),
    (re.compile(r"\.mlp\.fc2\."), ".output.dense."),
]


def _original_vit_key(key: str) -> str:
    for pattern, replacement in VIT_NEW_TO_ORIGINAL:
        key = pattern.sub(replacement, key)
    return key


def mae_weights_in_original_layout(folder: str) -> dict | None:
    """The MAE's weights under transformers 4.x's names when the folder holds transformers 5's, else None."""
    files = sorted(glob.glob(os.path.join(folder, "*.safetensors")))
    keys = []
    for file in files:
        with safe_open(file, "pt") as f:
            keys += list(f.keys())
    if not any(re.search(r"(^|\.)layers\.\d+\.attention\.q_proj\.", k) for k in keys):
        return None
    weights = {}
    for file in files:
        weights.update({_original_vit_key(k): v for k, v in load_file(file).items()})
    return weights


class XFormerCheckpoint(XFormerParts):
    """The three parts of an X-Former checkpoint folder, loaded."""

    def load(self, blip2):
        """The MAE, the fusion weights and where they sit, loaded and checked."""
        # an MAE saved as ViTMAEForPreTraining carries its pixel decoder too; the encoder alone is used
        renamed = mae_weights_in_original_layout(self.mae_dir)
        extra = {} if renamed is None else {"state_dict": renamed}
        mae = load_checked(transformers.ViTMAEModel, self.mae_dir, "MAE ViT", unused_prefixes=("decoder.",), mask_ratio=0.0, **extra)
        placement = self.placement
        fusion = XFormerFusion(placement.layers, mae.config.hidden_size, blip2.config.qformer_config.hidden_size, self.heads,
                               placement.norm)
        missing, unexpected = fusion.load_state_dict(load_file(self.fusion_file), strict=False)
        if missing or unexpected:
            raise ConvertError(self.fusion_file, f"weights do not match a {placement.norm}-norm dual cross-attention after "
                                                 f"Q-Former layers {placement.layers}: missing {missing[:3]}, unexpected {unexpected[:3]}")
        return mae, fusion.eval(), placement
