"""Accuracy of one fusion kind on fresh held-out scenes (neither the training split nor gqa-mini), so
that a setting can be chosen without reading the test questions:

    XFZOO_WORK=DIR python3 modelzoo/experiments/heldout.py clip|clip+mae [N_IMAGES]

DIR holds a build's work (tokenizer, CLIP, MAE, LM and the fusion module's weights). The scenes and
their balanced GQA-style questions (12 per image) come from seeds no build uses; about 30 s per
1,000 questions on one core."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import torch  # noqa: E402

from xfzoo import evaluate  # noqa: E402
from xfzoo.data import gqa_questions, make_scenes  # noqa: E402

torch.set_num_threads(1)
kind = sys.argv[1]
scenes, images = make_scenes(777, int(sys.argv[2]) if len(sys.argv) > 2 else 300, "h")
_, qa = gqa_questions(scenes, 778, 50_000_000, 12)
pipe = evaluate.load_parts(kind)
right, image = 0, None
for i, q, a, _kind in qa:
    if i != image:
        prefix, image = pipe.visual_tokens(images[i]), i
    right += pipe.generate(prefix, q)[0] == evaluate.postprocess(a)
print(f"{kind}: {100 * right / len(qa):.2f}% of {len(qa)} held-out questions")
