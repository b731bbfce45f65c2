"""Where do the visual tokens lose what the frozen LM can read? Trains stage 2 as the build does
(language-modelling loss on the answers, the frozen LM from WORK) but from a fresh start and with the
prefix taken from one SOURCE, then prints the LM's accuracy on 1,500 training questions:

    python3 modelzoo/experiments/stage2_sources.py SOURCE [STEPS] [options]

    text    the true description through the LM's own word vectors (nothing trained: the reference)
    clip    CLIP features through a fresh Q-Former and linear projection (the build's stage 2
            without stage 1)
    mae     MAE features in place of CLIP's, through the same fresh Q-Former
    cells   perfect features: each CLIP patch replaced by a fixed random vector naming its cell's
            description word (the background word for the class token); a fresh Q-Former
    parts   perfect additive features: as cells, but a compound word's vector is the sum of its
            parts' ("small" + "red" + "striped" + "circle"), as an encoder's features would be
    words   no image and no Q-Former: one learned vector per description word, plus one per place
    nearest (no training) the modules in WORK: visual-token norms, and how often each token's
            nearest LM word vector is its cell's word

Options: --position (a learned vector per patch added to the features), --unit-norm (tokens scaled
to the mean norm of the LM's word vectors), --vocab-mix (tokens are a softmax mixture of the LM's
word vectors instead of a linear projection), --question-loss (loss on the question tokens too),
--align all|first-half (add, or for the first half of the steps use only, the squared distance of
token i to the LM's vector of word i), --text-noise R (source text: Gaussian noise of R times a
word vector's norm on every description vector: how exact must a prefix be?), --lr (stage 2's
learning rate, 1e-3 as the build), --local SIGMA (a fixed cross-attention bias, Gaussian over grid
cells, that favours patch i and its neighbours for query i), --width/--depth (of a fresh Q-Former).
About 5 minutes per 600 steps on one core. WORK holds the build's split, tokenizer and frozen models:
the numbers in modelzoo/README.md were measured on run 4's (free-position scenes)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from xfzoo import evaluate, train  # noqa: E402
from xfzoo.models import DESCRIPTION_WORDS, FusionModule  # noqa: E402
from xfzoo.questions import describe  # noqa: E402
from xfzoo.scenes import GRID  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("source", choices=["text", "clip", "mae", "cells", "parts", "words", "nearest"])
parser.add_argument("steps", type=int, nargs="?", default=600)
parser.add_argument("--position", action="store_true")
parser.add_argument("--unit-norm", action="store_true")
parser.add_argument("--vocab-mix", action="store_true")
parser.add_argument("--question-loss", action="store_true")
parser.add_argument("--align", choices=["all", "first-half"])
parser.add_argument("--text-noise", type=float, default=0.0)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--local", type=float, default=0.0)
parser.add_argument("--width", type=int, default=64)
parser.add_argument("--depth", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(1)

split, tok, frozen, fusion, clip_feats, _ = train.fusion_setup("clip", ("clip", "lm"))
lm = frozen["lm"]
if (args.width, args.depth) != (64, 2):
    fusion = FusionModule(len(tok.vocab), False, dim=args.width, depth=args.depth)
words = lm.table().detach()  # [vocab, 128]
word_norm = float(words.norm(dim=-1).mean())
descriptions = torch.tensor([tok.encode(describe(s)) for s in split.scenes])  # [N, 65]: background, 64 cells


def nearest_word_report() -> None:
    """How the modules in WORK place their visual tokens relative to the LM's word vectors."""
    empty = tok.vocab["empty"]
    for kind, name in train.FUSION_NAMES.items():
        pipe = evaluate.load_parts(kind)
        with torch.no_grad():
            vis = torch.cat([pipe.visual_tokens(img) for img in split.images[:300]])
        near = (F.normalize(vis, dim=-1) @ F.normalize(words, dim=-1).t()).argmax(-1)
        truth = descriptions[:300]
        cell = torch.arange(DESCRIPTION_WORDS).expand_as(truth)
        print(f"{name}: token norm {vis.norm(dim=-1).mean():.2f} (word vectors {word_norm:.2f})")
        for label, where in (("background", cell == 0), ("empty cells", (cell > 0) & (truth == empty)),
                             ("object cells", (cell > 0) & (truth != empty))):
            print(f"  {label}: nearest word is the cell's {100 * (near[where] == truth[where]).float().mean():.1f}%")


if args.source == "nearest":
    nearest_word_report()
    sys.exit(0)

if args.local:
    # cross-attention bias: query i (token i of the description) favours CLIP token i and its neighbours
    cells = torch.arange(GRID * GRID)
    rr, cc = cells // GRID, cells % GRID
    dist2 = ((rr[:, None] - rr[None]) ** 2 + (cc[:, None] - cc[None]) ** 2).float()
    bias = torch.zeros(DESCRIPTION_WORDS, DESCRIPTION_WORDS)
    bias[1:, 1:] = -dist2 / (2 * args.local ** 2)
    bias[0, 1:] = -4.0
    bias[1:, 0] = -4.0
    for layer in fusion.layers:
        layer.ca.forward = (lambda x, kv=None, mask=None, orig=layer.ca.forward: orig(x, kv=kv, mask=bias))
trained = []  # what stage 2 trains besides (or instead of) the fusion module
if args.source == "mae":  # MAE's features in place of CLIP's, through the same fresh Q-Former
    mae = train.load_frozen(len(tok.vocab), ("mae",))["mae"]
    clip_feats = train.encode_all(mae.encoder, split.images, "mae")
if args.source in ("cells", "parts"):
    naming = torch.randn(len(tok.vocab), clip_feats.shape[-1], generator=torch.Generator().manual_seed(0))
    if args.source == "parts":  # a compound word's vector is the sum of its parts' (additive features)
        composed = train.compound_parts(tok)
        naming = torch.where(composed.sum(1, keepdim=True) > 0, composed @ naming, naming) / 2
    clip_feats = naming[descriptions]
if args.position:
    place = torch.nn.Parameter(torch.randn(1, clip_feats.shape[1], clip_feats.shape[-1]))
    trained.append(place)
word_vectors = torch.nn.Embedding(len(tok.vocab), 128)
places = torch.nn.Parameter(torch.zeros(1, DESCRIPTION_WORDS, 128))
torch.nn.init.normal_(word_vectors.weight, std=0.1)
to_vocab = torch.nn.Linear(128 if args.source == "words" else fusion.lm_proj.in_features, len(tok.vocab))
torch.nn.init.zeros_(to_vocab.weight)
torch.nn.init.zeros_(to_vocab.bias)
noise_gen = torch.Generator().manual_seed(0)


def prefix(img_idx: torch.Tensor) -> torch.Tensor:
    """Visual tokens [B, 65, 128] for training images `img_idx` from the chosen source."""
    if args.source == "text":
        exact = lm.embed(descriptions[img_idx])
        noise = torch.randn(exact.shape, generator=noise_gen) * args.text_noise * word_norm / exact.shape[-1] ** 0.5
        return exact + noise
    if args.source == "words":
        hidden = word_vectors(descriptions[img_idx]) + places
    else:
        feats = clip_feats[img_idx] + place if args.position else clip_feats[img_idx]
        hidden = fusion.run(len(img_idx), feats, None)[0]
    if args.vocab_mix:
        vis = torch.softmax(to_vocab(hidden), dim=-1) @ words
    else:
        vis = hidden if args.source == "words" else fusion.lm_proj(hidden)
    return F.normalize(vis, dim=-1) * word_norm if args.unit_norm else vis


if args.source != "text":
    if args.source == "words":
        trained += list(word_vectors.parameters()) + [places]
    else:
        trained += [p for p in fusion.parameters() if p.requires_grad]
    if args.vocab_mix:
        trained += list(to_vocab.parameters())
    align_steps = {"all": args.steps, "first-half": args.steps // 2, None: 0}[args.align]

    def losses():
        for step, (img_idx, ids, pad, is_answer) in enumerate(train.stage2_batches(split, tok, args.steps)):
            vis = prefix(img_idx)
            whole, answer = train.prefix_lm_loss(lm, vis, ids, pad, is_answer)
            loss = whole + answer if args.question_loss else answer
            if step < align_steps:
                align = ((vis - words[descriptions[img_idx]]) ** 2).sum(-1).mean() / word_norm ** 2
                loss = loss + align if args.align == "all" else align
            yield loss
    train.optimise(trained, args.steps, args.lr, f"{args.source}-s2", losses)

fusion.eval()
pipe = evaluate.Pipeline("clip", tok, None, None, lm, fusion)
right = 0
sample = np.random.default_rng(0).choice(len(split.qa), 1500, replace=False)
with torch.no_grad():
    for j in sample:
        image, question, answer, _kind = split.qa[j]
        right += pipe.generate(prefix(torch.tensor([image])), question)[0] == answer.lower()
print(f"{' '.join(sys.argv[1:])}: {100 * right / len(sample):.1f}% of {len(sample)} training questions")
