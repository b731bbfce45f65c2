"""Runs only a second training phase on an LM that finished its first, and saves the result:

    python3 modelzoo/experiments/lm_focus.py SRC OUT [--steps N] [--lr X] [--floor F | --uniform]

SRC holds train_split.pkl, tokenizer.json and lm.pt (a folded LM after its first phase, e.g. run 6's
modelzoo/work); OUT receives lm.pt and tokenizer.json, so that experiments/text_ceiling.py OUT prints
the result's ceiling per question type. By default each sequence is drawn in proportion to its
question kind's error rate on 100 training questions per kind, plus --floor (which keeps the solved
kinds in view); --uniform draws shuffled epochs instead, as the build's restart does (train.stage_lm).
(The "uniform" 68.4% in modelzoo/README.md was measured before --uniform existed, as --floor 1000: weights
equal to a thousandth, drawn with replacement.)
The folded word vectors are unfolded back into ComposedWordsLM's (`ComposedWordsLM.load_folded`), so
the phase trains the parametrisation the build does."""
import argparse, os, shutil, sys
import numpy as np
import torch
parser = argparse.ArgumentParser()
parser.add_argument("src")
parser.add_argument("out")
parser.add_argument("--steps", type=int, default=1000)
parser.add_argument("--lr", type=float, default=5e-4)
parser.add_argument("--floor", type=float, default=0.1)
parser.add_argument("--uniform", action="store_true")
args = parser.parse_args()
os.environ["XFZOO_WORK"] = args.src
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from xfzoo import train  # noqa: E402
from xfzoo.config import CONFIG  # noqa: E402
from xfzoo.evaluate import Pipeline, postprocess  # noqa: E402
from xfzoo.models import ComposedWordsLM  # noqa: E402
from xfzoo.questions import describe  # noqa: E402


def kind_accuracy(lm, tok, split, per_kind: int, seed: int) -> dict[str, float]:
    """Per question kind, how often `lm` reading the true description answers a sample of training
    questions exactly right (greedy, as the bundles decode)."""
    rng = np.random.default_rng(seed)
    by_kind: dict[str, list] = {}
    for row in split.qa:
        by_kind.setdefault(row[3], []).append(row)
    pipe, acc = Pipeline("clip", tok, None, None, lm, None), {}
    for kind, rows in sorted(by_kind.items()):
        picked = [rows[j] for j in rng.choice(len(rows), size=min(per_kind, len(rows)), replace=False)]
        acc[kind] = np.mean([pipe.generate(lm.embed(torch.tensor([tok.encode(describe(split.scenes[i]))])), q)[0]
                             == postprocess(a) for i, q, a, _k in picked])
    return acc


def weighted_batches(weights: np.ndarray, batch: int, steps: int, seed: int):
    gen = np.random.default_rng(seed)
    for _ in range(steps):
        yield gen.choice(len(weights), size=batch, p=weights / weights.sum())


torch.set_num_threads(1)
split, tok = train.load_split_and_tokenizer()
seqs = train.lm_sequences(tok, split, CONFIG["seed"] + 32, per_sequence=CONFIG["lm"]["questions_per_sequence"])
model = ComposedWordsLM(len(tok.vocab), train.compound_parts(tok))
model.load_folded(torch.load(os.path.join(args.src, "lm.pt")))
batch, seed = CONFIG["lm"]["batch"], CONFIG["seed"] + 34
if args.uniform:
    order = train.batches(len(seqs), batch, args.steps, seed)
else:
    model.eval()
    acc = kind_accuracy(model, tok, split, 100, CONFIG["seed"] + 35)
    model.train()
    print("training accuracy by kind:", ", ".join(f"{k} {100 * v:.0f}%" for k, v in acc.items()), flush=True)
    weights = np.array([np.mean([1 - acc[k] for k in kinds]) + args.floor for _ids, _mask, kinds in seqs])
    order = weighted_batches(weights, batch, args.steps, seed)
train.pretrain_lm(model, seqs, tok.pad_id, args.steps, args.lr, batch, order=order, stage="lm-phase2")
os.makedirs(args.out, exist_ok=True)
torch.save(model.folded().state_dict(), os.path.join(args.out, "lm.pt"))
shutil.copy(os.path.join(args.src, "tokenizer.json"), args.out)
