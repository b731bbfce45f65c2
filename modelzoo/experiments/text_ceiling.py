"""Per-detailed-type accuracy of a trained LM reading the true scene description on gqa-mini (balanced
questions): the ceiling the visual tokens can reach, with the answers it gives most. Usage:
python3 modelzoo/experiments/text_ceiling.py WORK_DIR (holding lm.pt and tokenizer.json); about a minute."""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import torch  # noqa: E402

from xfzoo import evaluate  # noqa: E402
from xfzoo.config import FIXTURES  # noqa: E402
from xfzoo.models import TinyLM  # noqa: E402
from xfzoo.tokenizer import WordTokenizer  # noqa: E402

torch.set_num_threads(1)
work = sys.argv[1]
with open(os.path.join(work, "tokenizer.json")) as f:
    tok = WordTokenizer(json.load(f)["model"]["vocab"])
shape_file = os.path.join(work, "lm_shape.json")  # written by lm_variant.py for a non-default shape
shape = {}
if os.path.exists(shape_file):
    with open(shape_file) as f:
        shape = json.load(f)
lm = TinyLM(len(tok.vocab), **shape)
lm.load_state_dict(torch.load(os.path.join(work, "lm.pt")))
lm.eval()
records, preds = evaluate.text_ceiling_predictions(evaluate.Pipeline("clip", tok, None, None, lm, None),
                                                   os.path.join(FIXTURES, "gqa-mini"))
by_type = collections.defaultdict(lambda: [0, 0, collections.Counter()])
for qid, r in records.items():
    if r["isBalanced"]:
        t = by_type[r["types"]["detailed"]]
        t[0] += preds[qid] == r["answer"].lower()
        t[1] += 1
        t[2][preds[qid]] += 1
right, total = sum(t[0] for t in by_type.values()), sum(t[1] for t in by_type.values())
print(f"overall {100 * right / total:.1f} (n={total})")
for name, (r, n, answers) in sorted(by_type.items()):
    print(f"{name:16s} {100 * r / n:5.1f} n={n:4d} most given: {answers.most_common(4)}")
