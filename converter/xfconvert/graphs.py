"""The graphs of a bundle, each a thin wrapper around transformers' own modules (no re-implementation)."""
from __future__ import annotations

import inspect

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


# torch 2.9 and later export through dynamo by default, which ignores dynamic_axes; the tracing
# exporter (torch 1.13's only one, and what every bundle so far came from) is asked for by name there.
_TRACING = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}


def export(module: torch.nn.Module, args: tuple, path: str, inputs: list[str], outputs: list[str], dynamic: dict) -> None:
    with torch.no_grad():
        torch.onnx.export(module.eval(), args, path, opset_version=OPSET, input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic, do_constant_folding=True, **_TRACING)


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


class Seq2SeqEncoderGraph(torch.nn.Module):
    """An encoder-decoder LM's encoder (T5's) over [visual tokens; prompt], as Blip2ForConditionalGeneration feeds it."""

    def __init__(self, seq2seq_lm):
        super().__init__()
        self.encoder = seq2seq_lm.get_encoder()

    def forward(self, inputs_embeds, attention_mask):
        return self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask, return_dict=True).last_hidden_state


class CrossAttentionCacheGraph(torch.nn.Module):
    """
    Each decoder layer's cross-attention keys and values over the encoder's states: what T5Attention's
    project() computes on the first step and reuses from its cache afterwards (its own k and v
    projections, reshaped as its shape() does). Computed once per question, they are fed to every step.
    """

    def __init__(self, seq2seq_lm):
        super().__init__()
        self.attentions = torch.nn.ModuleList(block.layer[1].EncDecAttention for block in seq2seq_lm.get_decoder().block)

    def forward(self, encoder_states):
        b = encoder_states.shape[0]
        out = []
        for attn in self.attentions:
            for proj in (attn.k, attn.v):
                out.append(proj(encoder_states).view(b, -1, attn.n_heads, attn.key_value_proj_dim).transpose(1, 2))
        return tuple(out)


class Seq2SeqDecoderGraph(torch.nn.Module):
    """
    One decoder step of T5ForConditionalGeneration (its own forward, given the encoder's output): the
    new token's embedding, the encoder's states and mask, the self-attention cache and the
    cross-attention keys and values. Outputs the logits and the updated self-attention cache.
    """

    def __init__(self, seq2seq_lm, layers: int):
        super().__init__()
        self.lm = seq2seq_lm
        self.layers = layers

    def forward(self, inputs_embeds, attention_mask, encoder_states, *past_flat):
        n = 2 * self.layers
        self_past, cross = past_flat[:n], past_flat[n:]
        past = tuple((self_past[2 * i], self_past[2 * i + 1], cross[2 * i], cross[2 * i + 1]) for i in range(self.layers))
        out = self.lm(encoder_outputs=(encoder_states,), attention_mask=attention_mask, decoder_inputs_embeds=inputs_embeds,
                      past_key_values=past, use_cache=True, return_dict=True)
        return (out.logits,) + tuple(t for layer in out.past_key_values for t in layer[:2])


def export_seq2seq(seq2seq_lm, layers: int, heads: int, head_dim: int, width: int, paths: dict) -> None:
    b, t, p = 1, 5, 3
    export(Seq2SeqEncoderGraph(seq2seq_lm), (torch.zeros(b, t, width), torch.ones(b, t, dtype=torch.long)), paths["encoder"],
           ["inputs_embeds", "attention_mask"], ["encoder_states"],
           {"inputs_embeds": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "encoder_states": {0: "batch", 1: "sequence"}})
    cross = cache_names(layers, "cross")
    export(CrossAttentionCacheGraph(seq2seq_lm), (torch.zeros(b, t, width),), paths["cross"], ["encoder_states"], cross,
           {"encoder_states": {0: "batch", 1: "sequence"}, **{n: {0: "batch", 2: "sequence"} for n in cross}})
    pasts, presents = cache_names(layers, "past_key_values"), cache_names(layers, "present")
    args = (torch.zeros(b, 1, width), torch.ones(b, t, dtype=torch.long), torch.zeros(b, t, width)) \
        + tuple(torch.zeros(b, heads, p, head_dim) for _ in pasts) + tuple(torch.zeros(b, heads, t, head_dim) for _ in cross)
    dynamic = {"inputs_embeds": {0: "batch"}, "attention_mask": {0: "batch", 1: "sequence"},
               "encoder_states": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}}
    dynamic.update({n: {0: "batch", 2: "past"} for n in pasts})
    dynamic.update({n: {0: "batch", 2: "sequence"} for n in cross})
    dynamic.update({n: {0: "batch", 2: "total"} for n in presents})
    export(Seq2SeqDecoderGraph(seq2seq_lm, layers), args, paths["decoder"],
           ["inputs_embeds", "attention_mask", "encoder_states"] + pasts + cross, ["logits"] + presents, dynamic)
