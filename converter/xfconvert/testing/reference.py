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
    model = transformers.Blip2ForConditionalGeneration.from_pretrained(a.checkpoint).eval()
    processor = transformers.BlipImageProcessor.from_pretrained(a.checkpoint)
    tokenizer = transformers.AutoTokenizer.from_pretrained(a.checkpoint)
    end_ids = gen["endTokenIds"]
    settings = dict(max_new_tokens=gen["maxNewTokens"], min_new_tokens=gen["minNewTokens"], eos_token_id=end_ids,
                    pad_token_id=tokenizer.pad_token_id, do_sample=False)
    cases = []
    with torch.no_grad():
        for q in json.load(open(a.questions)):
            pixels = processor(Image.open(q["image"]).convert("RGB"), return_tensors="pt").pixel_values
            enc = tokenizer(template.replace("{question}", q["question"]), return_tensors="pt")
            case = {"id": q["id"], "promptIds": enc.input_ids[0].tolist()}
            for name, mode in MODES.items():
                run = {**settings, "num_beams": gen["numBeams"], "length_penalty": gen["lengthPenalty"], **mode}
                if "eos_token_id" in mode:
                    run["eos_token_id"] = end_ids + [tokenizer.eos_token_id]
                out = model.generate(pixel_values=pixels, input_ids=enc.input_ids, attention_mask=enc.attention_mask, **run)
                ids = new_tokens(out[0], run["eos_token_id"])
                case[name] = {"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=True)}
            # the first generated position's logits: the LM over [visual tokens; prompt]
            start = {}
            if model.config.text_config.is_encoder_decoder:
                start = {"decoder_input_ids": torch.tensor([[model.config.text_config.decoder_start_token_id]])}
            outputs = model(pixel_values=pixels, input_ids=enc.input_ids, attention_mask=enc.attention_mask, **start)
            case["firstLogits"] = [round(float(x), 6) for x in outputs.logits[0, -1]]
            cases.append(case)
    with open(a.out, "w") as f:
        json.dump({"transformers": transformers.__version__, "cases": cases}, f)


if __name__ == "__main__":
    main()
