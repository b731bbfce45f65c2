"""The graphs of a bundle, each a thin wrapper around transformers' own modules (no re-implementation)."""
from __future__ import annotations

import torch

OPSET = 14


class VisionGraph(torch.nn.Module):
    """The frozen ViT: pixels to patch features (CLS first), as Blip2ForConditionalGeneration.generate runs it."""

    def __init__(self, vision_model):
        super().__init__()
        self.vision_model = vision_model

    def forward(self, pixel_values):
        return self.vision_model(pixel_values, return_dict=True).last_hidden_state


class FusionGraph(torch.nn.Module):
    """The Q-Former's learned queries reading the image features, then the projection into the LM's width."""

    def __init__(self, model):
        super().__init__()
        self.query_tokens = model.query_tokens
        self.qformer = model.qformer
        self.language_projection = model.language_projection

    def forward(self, image_features):
        mask = torch.ones(image_features.shape[:-1], dtype=torch.long)
        queries = self.query_tokens.expand(image_features.shape[0], -1, -1)
        out = self.qformer(query_embeds=queries, encoder_hidden_states=image_features,
                           encoder_attention_mask=mask, return_dict=True).last_hidden_state
        return self.language_projection(out)


class EmbedGraph(torch.nn.Module):
    def __init__(self, embeddings):
        super().__init__()
        self.embeddings = embeddings

    def forward(self, input_ids):
        return self.embeddings(input_ids)


class CausalDecoderGraph(torch.nn.Module):
    """
    A decoder-only LM (OPTForCausalLM) with its key/value cache as flat inputs and outputs. Positions
    come from the attention mask (OPT derives them from its cumulative sum), so there is no position
    input. Only the last position's logits are computed: the LM head over every prompt position would
    be most of a prefill's work at a real vocabulary and nothing reads it. The decoder stack and the
    head are called as OPTForCausalLM.forward calls them.
    """

    def __init__(self, causal_lm, layers: int):
        super().__init__()
        self.decoder = causal_lm.model.decoder
        self.lm_head = causal_lm.lm_head
        self.layers = layers

    def forward(self, inputs_embeds, attention_mask, *past_flat):
        past = tuple((past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.layers))
        out = self.decoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask, past_key_values=past,
                           use_cache=True, return_dict=True)
        logits = self.lm_head(out.last_hidden_state[:, -1:, :])
        return (logits,) + tuple(t for kv in out.past_key_values for t in kv)


def cache_names(layers: int, prefix: str) -> list[str]:
    return [f"{prefix}.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]


def export(module: torch.nn.Module, args: tuple, path: str, inputs: list[str], outputs: list[str], dynamic: dict) -> None:
    with torch.no_grad():
        torch.onnx.export(module.eval(), args, path, opset_version=OPSET, input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic, do_constant_folding=True)


def export_vision(vision_model, size: tuple[int, int], path: str) -> None:
    w, h = size
    export(VisionGraph(vision_model), (torch.zeros(1, 3, h, w),), path, ["pixel_values"], ["image_features"],
           {"pixel_values": {0: "batch"}, "image_features": {0: "batch"}})


def export_fusion(model, tokens: int, width: int, path: str) -> None:
    export(FusionGraph(model), (torch.zeros(1, tokens, width),), path, ["image_features"], ["visual_tokens"],
           {"image_features": {0: "batch"}, "visual_tokens": {0: "batch"}})


def export_embed(embeddings, path: str) -> None:
    export(EmbedGraph(embeddings), (torch.zeros(1, 3, dtype=torch.long),), path, ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch", 1: "sequence"}, "inputs_embeds": {0: "batch", 1: "sequence"}})


def export_causal_decoder(causal_lm, layers: int, heads: int, head_dim: int, width: int, path: str) -> None:
    b, t, p = 1, 2, 3
    past = tuple(torch.zeros(b, heads, p, head_dim) for _ in range(2 * layers))
    args = (torch.zeros(b, t, width), torch.ones(b, p + t, dtype=torch.long)) + past
    pasts, presents = cache_names(layers, "past_key_values"), cache_names(layers, "present")
    dynamic = {"inputs_embeds": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total"},
               "logits": {0: "batch"}}
    dynamic.update({n: {0: "batch", 2: "past"} for n in pasts})
    dynamic.update({n: {0: "batch", 2: "total"} for n in presents})
    export(CausalDecoderGraph(causal_lm, layers), args, path, ["inputs_embeds", "attention_mask"] + pasts,
           ["logits"] + presents, dynamic)
