"""Can one patch token of the frozen encoders name the object of its cell? Samples fresh scenes from
the current generator, encodes them with the CLIP and MAE in WORK, and trains a probe (an MLP, or with
--linear a linear map) from the token of patch i to word i+1 of the scene description (the cell's
object word, or "empty"). Prints, on 1,000 held-out scenes, how often an object cell's word is named
exactly and how often it is taken for empty:

    python3 modelzoo/experiments/patch_probe.py [--linear]

Why it matters: stage 2 can put cell i's word into visual token i only as far as the features say it
(modelzoo/README.md, "Findings"). About a minute on two cores."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from xfzoo import scenes, train  # noqa: E402
from xfzoo.questions import describe  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--linear", action="store_true")
args = parser.parse_args()
torch.manual_seed(0)
TRAIN, TEST = 5000, 1000

rng = np.random.default_rng(5)
sampled = [scenes.sample_scene(rng, f"probe{i}") for i in range(TRAIN + TEST)]
images = np.stack([scenes.render(s) for s in sampled])
_split, tok = train.load_split_and_tokenizer()
frozen = train.load_frozen(len(tok.vocab), ("clip", "mae"))
cell_words = torch.tensor([tok.encode(describe(s)) for s in sampled])[:, 1:].flatten()  # background dropped
classes = sorted(set(cell_words.tolist()))
target = torch.tensor([classes.index(w) for w in cell_words.tolist()])
is_object = cell_words != tok.vocab["empty"]
empty_class = classes.index(tok.vocab["empty"])
held_out = slice(TRAIN * scenes.GRID ** 2, None)
print(f"{float(is_object.sum()) / len(sampled):.2f} objects per scene")

for name, encoder in (("clip", frozen["clip"].visual), ("mae", frozen["mae"].encoder)):
    tokens = train.encode_all(encoder, images, name)[:, 1:]  # class token dropped
    x = tokens.reshape(-1, tokens.shape[-1])
    probe = (nn.Linear(x.shape[1], len(classes)) if args.linear else
             nn.Sequential(nn.Linear(x.shape[1], 256), nn.GELU(), nn.Linear(256, len(classes))))
    opt = torch.optim.Adam(probe.parameters(), 3e-3)
    for _ in range(3000):
        idx = torch.randint(0, TRAIN * scenes.GRID ** 2, (512,))
        loss = F.cross_entropy(probe(x[idx]), target[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        guess = probe(x[held_out]).argmax(-1)
    truth, objects = target[held_out], is_object[held_out]
    named = 100 * (guess[objects] == truth[objects]).float().mean()
    as_empty = 100 * (guess[objects] == empty_class).float().mean()
    print(f"{name} {'linear' if args.linear else 'MLP'} probe: object cells named exactly {named:.1f}%, "
          f"taken for empty {as_empty:.1f}%")
