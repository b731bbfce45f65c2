"""The naive loop a PyTorch harness runs, for `npm run bench`: one question at a time, the image decoded
and both encoders and the fusion module recomputed for every question, then greedy decoding. Same
weights as the bundles (modelzoo/checkpoints), Debian's torch, one thread.

    python3 modelzoo/bench_naive.py --bundle xf-tiny-xformer --questions 300
prints {"questions": N, "seconds": S, "answers": {...}} as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("XFZOO_WORK", os.path.join(HERE, "checkpoints"))
sys.path.insert(0, HERE)

import torch  # noqa: E402

from xfzoo.config import FIXTURES  # noqa: E402
from xfzoo.evaluate import load_image, load_parts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", choices=["xf-tiny-clip", "xf-tiny-xformer"], default="xf-tiny-xformer")
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    pipe = load_parts("clip+mae" if args.bundle == "xf-tiny-xformer" else "clip")
    root = os.path.join(FIXTURES, "gqa-mini")
    with open(os.path.join(root, "testdev_balanced_questions.json")) as f:
        records = json.load(f)
    ids = list(records)[: args.questions]
    answers = {}
    t0 = time.perf_counter()
    for qid in ids:
        r = records[qid]
        image = load_image(os.path.join(root, "images", f"{r['imageId']}.png"))
        answers[qid] = pipe.generate(pipe.visual_tokens(image), r["question"])[0]
    seconds = time.perf_counter() - t0
    print(json.dumps({"questions": len(ids), "seconds": seconds, "answers": answers}))


if __name__ == "__main__":
    main()
