"""
transformers' own answers for the converter's parity tests: Blip2ForConditionalGeneration.generate on
each question, one at a time, the way LAVIS-style evaluation calls it, with the bundle's decoding
settings (greedy, and the bundle's beams), plus the first generated position's logits.

python -m xfconvert.testing.reference CHECKPOINT BUNDLE QUESTIONS.json OUT.json
QUESTIONS.json: [{"id", "image", "question"}]
"""
from __future__ import annotations

import argparse
import json

import torch
import transformers
from PIL import Image


# the bundle's settings with greedy search, as they are, and a variant that exercises what LAVIS's
# settings leave idle: a length penalty, two end tokens (the bundle's and EOS), two tokens at least
MODES = {
    "greedy": {"num_beams": 1},
    "beams": {},
    "variant": {"num_beams": 3, "length_penalty": 1.0, "min_new_tokens": 2, "eos_token_id": "bundle's + EOS"},
}


def new_tokens(sequence: torch.Tensor, end_ids: list[int]) -> list[int]:
    """Blip2's generate puts BOS (OPT) or the decoder's start token (T5) first; the answer runs up to the first end token."""
    out = []
    for t in sequence.tolist()[1:]:
        if t in end_ids:
            break
        out.append(t)
    return out


class XFormerReference:
    """
    An X-Former run in PyTorch, written apart from the converter's graphs so that it checks where they
    put the dual cross-attention: the MAE's output (or a layer's), then the Q-Former one sub-module at a
    time (self-attention, cross-attention to CLIP, feed-forward) with the dual cross-attention where the
    placement says, then the LM's generate on [visual tokens; prompt] as Blip2ForConditionalGeneration.generate feeds it.
    """

    def __init__(self, folder: str):
        from ..xformer import XFormerCheckpoint
        parts = XFormerCheckpoint(folder)
        self.blip2 = transformers.Blip2ForConditionalGeneration.from_pretrained(parts.blip2_dir).eval()
        self.mae, self.fusion, self.placement = parts.load(self.blip2)
        self.clip_processor = transformers.BlipImageProcessor.from_pretrained(parts.blip2_dir)
        self.mae_processor = transformers.ViTImageProcessor.from_pretrained(parts.mae_dir)
        self.config = self.blip2.config

    def mae_features(self, pixels):
        patches = (self.mae.config.image_size // self.mae.config.patch_size) ** 2
        noise = torch.arange(patches, dtype=torch.float32).unsqueeze(0).expand(pixels.shape[0], -1)  # no shuffling
        out = self.mae(pixels, noise=noise, output_hidden_states=True, return_dict=True)
        layer = self.placement.mae_layer
        return out.last_hidden_state if layer is None else out.hidden_states[layer]

    def dual(self, i: int, q, m):
        mod = self.fusion.dual[str(i)]
        if self.placement.norm == "post":
            m = mod.ln_m(m + mod.m_from_q(m, kv=q))
            return mod.ln_qm(q + mod.q_from_m(q, kv=m)), m
        m = m + mod.m_from_q(mod.ln_m(m), kv=mod.ln_mq(q))
        return q + mod.q_from_m(mod.ln_qm(q), kv=m), m

    def qformer(self, image, mae):
        qf, place = self.blip2.qformer, self.placement
        q = qf.dropout(qf.layernorm(self.blip2.query_tokens.expand(image.shape[0], -1, -1)))
        m = self.fusion.mae_in(mae)
        for i, layer in enumerate(qf.encoder.layer):
            q = layer.attention(q)[0]
            if layer.has_cross_attention:
                q = layer.crossattention(q, encoder_hidden_states=image)[0]
            if place.after == "cross-attention" and i in place.layers:
                q, m = self.dual(i, q, m)
            q = layer.feed_forward_chunk_query(q)
            if place.after == "layer" and i in place.layers:
                q, m = self.dual(i, q, m)
        return self.blip2.language_projection(q)

    def pixels(self, image):
        return (self.clip_processor(image, return_tensors="pt").pixel_values,
                self.mae_processor(image, return_tensors="pt").pixel_values)

    def visual_tokens(self, pixels):
        clip, mae = pixels
        return self.qformer(self.blip2.vision_model(clip, return_dict=True).last_hidden_state, self.mae_features(mae))

    def inputs(self, pixels, input_ids, attention_mask):
        visual = self.visual_tokens(pixels)
        embeds = torch.cat([visual, self.blip2.get_input_embeddings()(input_ids)], dim=1)
        mask = torch.cat([torch.ones(visual.shape[:2], dtype=torch.long), attention_mask], dim=1)
        return visual, embeds, mask

    def generate(self, pixels, input_ids, attention_mask, **kwargs):
        visual, embeds, mask = self.inputs(pixels, input_ids, attention_mask)
        # Blip2ForConditionalGeneration.generate's length bookkeeping and BOS for a decoder-only LM
        kwargs["max_length"] = kwargs.get("max_length", 20) + visual.shape[1] - 1
        kwargs["min_length"] = kwargs.get("min_length", 0) + visual.shape[1]
        out = self.blip2.language_model.generate(inputs_embeds=embeds, attention_mask=mask, **kwargs)
        bos = torch.LongTensor([[self.config.text_config.bos_token_id]]).repeat(out.shape[0], 1)
        return torch.cat([bos, out], dim=-1)

    def __call__(self, pixel_values, input_ids, attention_mask):
        _, embeds, mask = self.inputs(pixel_values, input_ids, attention_mask)
        return self.blip2.language_model(inputs_embeds=embeds, attention_mask=mask)


class Blip2Reference:
    def __init__(self, folder: str):
        self.model = transformers.Blip2ForConditionalGeneration.from_pretrained(folder).eval()
        self.processor = transformers.BlipImageProcessor.from_pretrained(folder)
        self.config = self.model.config

    def pixels(self, image):
        return self.processor(image, return_tensors="pt").pixel_values

    def generate(self, pixels, input_ids, attention_mask, **kwargs):
        return self.model.generate(pixel_values=pixels, input_ids=input_ids, attention_mask=attention_mask, **kwargs)

    def __call__(self, pixel_values, input_ids, attention_mask, **kwargs):
        return self.model(pixel_values=pixel_values, input_ids=input_ids, attention_mask=attention_mask, **kwargs)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("bundle")
    p.add_argument("questions")
    p.add_argument("out")
    a = p.parse_args()
    manifest = json.load(open(f"{a.bundle}/xfbench.json"))
    gen = manifest["generation"]
    template = manifest["prompt"]["template"]
    is_xformer = "XFormerForConditionalGeneration" in json.load(open(f"{a.checkpoint}/config.json")).get("architectures", [])
    model = XFormerReference(a.checkpoint) if is_xformer else Blip2Reference(a.checkpoint)
    tokenizer = transformers.AutoTokenizer.from_pretrained(f"{a.checkpoint}/blip2" if is_xformer else a.checkpoint)
    end_ids = gen["endTokenIds"]
    settings = dict(max_new_tokens=gen["maxNewTokens"], min_new_tokens=gen["minNewTokens"], eos_token_id=end_ids,
                    pad_token_id=tokenizer.pad_token_id, do_sample=False)
    cases = []
    with torch.no_grad():
        for q in json.load(open(a.questions)):
            pixels = model.pixels(Image.open(q["image"]).convert("RGB"))
            enc = tokenizer(template.replace("{question}", q["question"]), return_tensors="pt")
            case = {"id": q["id"], "promptIds": enc.input_ids[0].tolist()}
            for name, mode in MODES.items():
                run = {**settings, "num_beams": gen["numBeams"], "length_penalty": gen["lengthPenalty"], **mode}
                if "eos_token_id" in mode:
                    run["eos_token_id"] = end_ids + [tokenizer.eos_token_id]
                out = model.generate(pixels, enc.input_ids, enc.attention_mask, **run)
                ids = new_tokens(out[0], run["eos_token_id"])
                case[name] = {"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=True)}
            # the first generated position's logits: the LM over [visual tokens; prompt]
            start = {}
            if model.config.text_config.is_encoder_decoder:
                start = {"decoder_input_ids": torch.tensor([[model.config.text_config.decoder_start_token_id]])}
            outputs = model(pixels, enc.input_ids, enc.attention_mask, **start)
            case["firstLogits"] = [round(float(x), 6) for x in outputs.logits[0, -1]]
            cases.append(case)
    with open(a.out, "w") as f:
        json.dump({"transformers": transformers.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
