"""
An X-Former checkpoint folder's config.json: its parts, and where its dual cross-attention sits
(docs/xformer-checkpoint.md). No
official X-Former code is public, so the placement is a setting: inside the Q-Former layers that read the
image, right after their cross-attention (the default), or after whole layers; pre- or post-norm; and
which MAE layer's output it reads. Read from the configs alone (no torch), so a bad one is refused
before anything is loaded.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from .checkpoint import ConvertError, read_json

#: where the LayerNorms sit in the dual cross-attention (dual_attention.dual_cross_attention)
NORMS = ("pre", "post")

#: where the dual cross-attention sits in a Q-Former layer: right after its cross-attention to the image
#: (before the feed-forward), or after the whole layer (its feed-forward's output)
AFTER = ("cross-attention", "layer")


@dataclass
class Placement:
    """Where an X-Former's dual cross-attention sits and what it reads (docs/xformer-checkpoint.md)."""
    after: str
    #: the Q-Former layers that have one
    layers: list[int]
    norm: str
    #: the MAE encoder layer whose output is read (1-based), or None for its last_hidden_state (after its final LayerNorm)
    mae_layer: int | None


def read_placement(spec: dict, config_path: str, blip2_config: dict, mae_config: dict) -> Placement:
    """
    The placement config.json's "xformer" names, with its defaults, checked against the Q-Former's and
    the MAE's configs (read as transformers 4.44 reads them: a Q-Former layer has a cross-attention to the
    image when its index is a multiple of cross_attention_frequency).
    """
    qformer = blip2_config.get("qformer_config") or {}
    frequency = qformer.get("cross_attention_frequency", 2)
    has_cross = [i % frequency == 0 for i in range(qformer.get("num_hidden_layers", 12))]
    mae_layers = mae_config.get("num_hidden_layers", 12)

    def refuse(message: str):
        raise ConvertError(config_path, f"xformer.{message} (docs/xformer-checkpoint.md)")

    after = spec.get("dualAfter", "cross-attention")
    if after not in AFTER:
        refuse(f"dualAfter {json.dumps(after)} is none of {', '.join(AFTER)}")
    crossing = [i for i, c in enumerate(has_cross) if c]
    layers = spec.get("dualLayers", crossing if after == "cross-attention" else [len(has_cross) - 1])
    if not (isinstance(layers, list) and layers and all(isinstance(i, int) and 0 <= i < len(has_cross) for i in layers)
            and len(set(layers)) == len(layers)):
        refuse(f"dualLayers {json.dumps(layers)} is not a list of distinct Q-Former layers (0 to {len(has_cross) - 1})")
    if after == "cross-attention" and any(i not in crossing for i in layers):
        refuse(f"dualLayers {json.dumps(layers)} names a layer without a cross-attention to the image (those with one: {crossing})")
    norm = spec.get("dualNorm", "pre")
    if norm not in NORMS:
        refuse(f"dualNorm {json.dumps(norm)} is none of {', '.join(NORMS)}")
    mae_layer = spec.get("maeLayer", "last")
    if mae_layer == "last":
        mae_layer = None
    elif not (isinstance(mae_layer, int) and 1 <= mae_layer <= mae_layers):
        refuse(f'maeLayer {json.dumps(mae_layer)} is neither "last" nor an MAE layer (1 to {mae_layers})')
    return Placement(after, sorted(layers), norm, mae_layer)


class XFormerParts:
    """An X-Former checkpoint folder's parts and placement, read from its configs (xformer.py loads them)."""

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
        self.placement = read_placement(spec, config_path, read_json(os.path.join(self.blip2_dir, "config.json")),
                                        read_json(os.path.join(self.mae_dir, "config.json")))
        check_fusion_names(self.fusion_file, self.placement)


def fusion_names(placement: Placement) -> set[str]:
    """The tensors fusion.safetensors holds for this placement (xformer.XFormerFusion's state_dict)."""
    norms = ["ln_m", "ln_qm"] + (["ln_mq"] if placement.norm == "pre" else [])
    attentions = [f"{a}.{p}" for a in ("m_from_q", "q_from_m") for p in "qkvo"]
    return {"mae_in.weight", "mae_in.bias"} | {
        f"dual.{i}.{m}.{t}" for i in placement.layers for m in norms + attentions for t in ("weight", "bias")}


def safetensors_names(path: str) -> list[str]:
    """The tensor names in a safetensors file, from its JSON header (no torch needed)."""
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size))
    except FileNotFoundError:
        raise ConvertError(path, "the dual cross-attention's weights are missing") from None
    except (ValueError, MemoryError, OverflowError):
        raise ConvertError(path, "not a safetensors file (its header does not read)") from None
    return [k for k in header if k != "__metadata__"]


def check_fusion_names(path: str, placement: Placement) -> None:
    names = set(safetensors_names(path))
    expected = fusion_names(placement)
    missing, unexpected = sorted(expected - names), sorted(names - expected)
    if missing or unexpected:
        raise ConvertError(path, f"weights do not match a {placement.norm}-norm dual cross-attention after Q-Former layers "
                                 f"{placement.layers}: missing {missing[:3]}, unexpected {unexpected[:3]}")
