"""Trains one LM variant into OUT (which must hold train_split.pkl and tokenizer.json from `train prepare`):

    python3 modelzoo/experiments/lm_variant.py OUT STEPS PER_SEQUENCE COMPOSED(0|1) [LR]
        [--heads N] [--depth N] [--gelu] [--no-description-loss] [--description-noise ALPHA]
        [--only-types T1,T2]

--heads changes the LM's attention heads (width stays 128), --depth its layers; --gelu gives it the
GELU feed-forward layers (width 512) the LMs had before SwiGLU; --no-description-loss drops the scene
description's own tokens from the next-token loss (the question and answer tokens keep it), since the
description of a random scene is mostly unpredictable; --description-noise adds Gaussian noise to the
description's word vectors, per sequence of a norm up to ALPHA times a word vector's, so the LM learns
to read vectors near its words, as stage 2's visual tokens are at best; --only-types trains on the
questions of the named detailed types alone (e.g. placeVerify,placeColor: can it learn that one
check?). The shape is saved as lm_shape.json beside lm.pt; then experiments/text_ceiling.py OUT
prints the variant's ceiling per question type."""
import argparse, json, os, sys, torch
parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("steps", type=int)
parser.add_argument("per_sequence", type=int)
parser.add_argument("composed", choices=["0", "1"])
parser.add_argument("lr", type=float, nargs="?", default=1e-3)
parser.add_argument("--heads", type=int, default=4)
parser.add_argument("--no-description-loss", action="store_true")
parser.add_argument("--description-noise", type=float, default=0.0)
parser.add_argument("--only-types", default="", help="comma-separated detailed types to train on (default: all)")
parser.add_argument("--depth", type=int, default=4)
parser.add_argument("--gelu", action="store_true", help="GELU feed-forward layers (width 512) in place of SwiGLU")
args = parser.parse_args()
os.environ["XFZOO_WORK"] = args.out
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from xfzoo import train  # noqa: E402
from xfzoo.config import CONFIG  # noqa: E402
from xfzoo.models import ComposedWordsLM, TinyLM  # noqa: E402
from xfzoo.questions import describe  # noqa: E402

torch.set_num_threads(1)
torch.manual_seed(CONFIG["seed"] + 30)
split, tok = train.load_split_and_tokenizer()
if args.only_types:
    split.qa = [r for r in split.qa if r[3] in args.only_types.split(",")]
seqs = train.lm_sequences(tok, split, CONFIG["seed"] + 32, per_sequence=args.per_sequence)
description_len = len(tok.encode(describe(split.scenes[0])))  # the grid description has a fixed length
print(len(seqs), "sequences; description", description_len, "tokens", flush=True)
shape = {"heads": args.heads, "depth": args.depth, **({"gated": False, "mlp": 512} if args.gelu else {})}
model = (ComposedWordsLM(len(tok.vocab), train.compound_parts(tok), **shape) if args.composed == "1"
         else TinyLM(len(tok.vocab), **shape))

train.pretrain_lm(model, seqs, tok.pad_id, args.steps, args.lr, 64,
                  unscored_prefix=description_len if args.no_description_loss else 0,
                  noisy_prefix=description_len, noise=args.description_noise)
torch.save((model.folded() if args.composed == "1" else model).state_dict(), os.path.join(args.out, "lm.pt"))
with open(os.path.join(args.out, "lm_shape.json"), "w") as f:
    json.dump(shape, f)
