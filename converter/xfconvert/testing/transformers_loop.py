"""
transformers' evaluation loop, the way LAVIS and lmms-eval run a BLIP-2: for `npm run bench`'s
BLIP-2-shaped point. Batch 1: one question at a time, its image opened and processed for it. Batched:
questions in order, N at a time (images processed per question, prompts left-padded), one generate
call per batch. The bundle's prompt and decoding settings; --num-beams overrides the beams.

python -m xfconvert.testing.transformers_loop CHECKPOINT BUNDLE QUESTIONS.json --batch 16 --num-beams 5 [--device cuda]
prints {"questions", "seconds", "answers": {id: text}} as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch
import transformers
from PIL import Image


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("bundle")
    p.add_argument("questions")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--num-beams", type=int)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--device", default="cpu", help="torch device (cuda on a GPU machine: scripts/device-check.sh)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    manifest = json.load(open(os.path.join(a.bundle, "xfbench.json")))
    gen, template = manifest["generation"], manifest["prompt"]["template"]
    model = transformers.Blip2ForConditionalGeneration.from_pretrained(a.checkpoint).eval().to(a.device)
    processor = transformers.BlipImageProcessor.from_pretrained(a.checkpoint)
    tokenizer = transformers.AutoTokenizer.from_pretrained(a.checkpoint)
    tokenizer.padding_side = "left"  # a decoder-only LM generates after its prompt, so batches pad on the left
    settings = dict(num_beams=a.num_beams or gen["numBeams"], max_new_tokens=gen["maxNewTokens"],
                    min_new_tokens=gen["minNewTokens"], length_penalty=gen["lengthPenalty"],
                    eos_token_id=gen["endTokenIds"], pad_token_id=tokenizer.pad_token_id, do_sample=False)
    questions = json.load(open(a.questions))
    answers = {}
    started = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(questions), a.batch):
            batch = questions[i:i + a.batch]
            pixels = processor([Image.open(q["image"]).convert("RGB") for q in batch], return_tensors="pt").pixel_values.to(a.device)
            enc = tokenizer([template.replace("{question}", q["question"]) for q in batch], return_tensors="pt", padding=True).to(a.device)
            out = model.generate(pixel_values=pixels, input_ids=enc.input_ids, attention_mask=enc.attention_mask, **settings)
            for q, text in zip(batch, tokenizer.batch_decode(out[:, 1:], skip_special_tokens=True)):
                answers[q["id"]] = text.strip()
    if a.device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    print(json.dumps({"questions": len(questions), "seconds": seconds, "answers": answers}))


if __name__ == "__main__":
    main()
