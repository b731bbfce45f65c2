"""
X-Former at real shapes: a BLIP-2 checkpoint, a frozen MAE ViT (transformers' ViTMAEModel) and the
dual cross-attention between them, laid out as docs/xformer-checkpoint.md defines. No official X-Former
code is public: the dual cross-attention is dual_attention.py's (the one the model zoo trains with), at
any width, placed after each Q-Former layer's cross-attention to the image, as in the zoo's FusionLayer.
"""
from __future__ import annotations

import glob
import os
import re

import torch
import transformers
from safetensors import safe_open
from safetensors.torch import load_file

from .checkpoint import ConvertError, read_json
from .dual_attention import DualCrossAttention
from .loading import load_checked

ARCHITECTURE = "XFormerForConditionalGeneration"


class XFormerFusion(torch.nn.Module):
    """mae_in (MAE width to the Q-Former's) and one DualCrossAttention per Q-Former layer with cross-attention."""

    def __init__(self, qformer_layers: list[int], mae_dim: int, dim: int, heads: int):
        super().__init__()
        self.mae_in = torch.nn.Linear(mae_dim, dim)
        self.dual = torch.nn.ModuleDict({str(i): DualCrossAttention(dim, heads) for i in qformer_layers})


class _MaeState:
    """The MAE features as the dual cross-attention updates them, layer after layer, during one forward."""
    m: torch.Tensor | None = None


class CrossThenDual(torch.nn.Module):
    """A Q-Former layer's own cross-attention, then the dual cross-attention on its output queries."""

    def __init__(self, cross: torch.nn.Module, dual: DualCrossAttention, state: _MaeState):
        super().__init__()
        self.cross = cross
        self.dual = dual
        self.state = state

    def forward(self, *args, **kwargs):
        out = self.cross(*args, **kwargs)
        q, self.state.m = self.dual(out[0], self.state.m)
        return (q,) + tuple(out[1:])


class MaeGraph(torch.nn.Module):
    """The frozen MAE encoder without masking: mask_ratio 0 keeps every patch, and noise that sorts to
    the identity keeps them in image order (ViTMAEModel would shuffle them at random otherwise)."""

    def __init__(self, mae: transformers.ViTMAEModel):
        super().__init__()
        self.mae = mae
        self.patches = (mae.config.image_size // mae.config.patch_size) ** 2

    def forward(self, pixel_values):
        noise = torch.arange(self.patches, dtype=torch.float32).unsqueeze(0).expand(pixel_values.shape[0], -1)
        return self.mae(pixel_values, noise=noise, return_dict=True).last_hidden_state


class XFormerFusionGraph(torch.nn.Module):
    """
    BLIP-2's fusion (query tokens, Q-Former, projection into the LM) with the dual cross-attention inside:
    transformers' Blip2QFormerModel runs unchanged, its cross-attention modules wrapped.
    """

    def __init__(self, blip2, fusion: XFormerFusion):
        super().__init__()
        self.query_tokens = blip2.query_tokens
        self.qformer = blip2.qformer
        self.language_projection = blip2.language_projection
        self.mae_in = fusion.mae_in
        self.state = _MaeState()
        for i, layer in enumerate(self.qformer.encoder.layer):
            if layer.has_cross_attention:
                layer.crossattention = CrossThenDual(layer.crossattention, fusion.dual[str(i)], self.state)

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


class XFormerCheckpoint:
    """The three parts of an X-Former checkpoint folder, loaded."""

    def __init__(self, folder: str):
        config_path = os.path.join(folder, "config.json")
        spec = read_json(config_path).get("xformer")
        if not isinstance(spec, dict):
            raise ConvertError(config_path, 'an X-Former config names its parts under "xformer" (docs/xformer-checkpoint.md)')
        self.blip2_dir = os.path.join(folder, spec.get("blip2", "blip2"))
        self.mae_dir = os.path.join(folder, spec.get("mae", "mae"))
        self.fusion_file = os.path.join(folder, spec.get("fusion", "fusion.safetensors"))
        self.heads = int(spec.get("dualHeads", 0))
        if self.heads <= 0:
            raise ConvertError(config_path, "xformer.dualHeads must be a positive number of attention heads")
        for part in (self.blip2_dir, self.mae_dir):
            if not os.path.isdir(part):
                raise ConvertError(part, "X-Former part folder not found")

    def load(self, blip2):
        # an MAE saved as ViTMAEForPreTraining carries its pixel decoder too; the encoder alone is used
        renamed = mae_weights_in_original_layout(self.mae_dir)
        extra = {} if renamed is None else {"state_dict": renamed}
        mae = load_checked(transformers.ViTMAEModel, self.mae_dir, "MAE ViT", unused_prefixes=("decoder.",), mask_ratio=0.0, **extra)
        layers = [i for i, layer in enumerate(blip2.qformer.encoder.layer) if layer.has_cross_attention]
        fusion = XFormerFusion(layers, mae.config.hidden_size, blip2.config.qformer_config.hidden_size, self.heads)
        if not os.path.isfile(self.fusion_file):
            raise ConvertError(self.fusion_file, "the dual cross-attention's weights are missing")
        missing, unexpected = fusion.load_state_dict(load_file(self.fusion_file), strict=False)
        if missing or unexpected:
            raise ConvertError(self.fusion_file, f"weights do not match the Q-Former's layers {layers}: "
                                                 f"missing {missing[:3]}, unexpected {unexpected[:3]}")
        return mae, fusion.eval()
