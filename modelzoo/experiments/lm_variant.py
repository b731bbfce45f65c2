"""Trains one LM variant into OUT (which must hold train_split.pkl and tokenizer.json from `train prepare`):
python3 modelzoo/experiments/lm_variant.py OUT STEPS PER_SEQUENCE COMPOSED(0|1) [LR]. Then
experiments/text_ceiling.py OUT prints its ceiling per question type."""
import os, sys, time, torch
os.environ["XFZOO_WORK"] = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from xfzoo import train
from xfzoo.config import CONFIG
from xfzoo.models import ComposedWordsLM, TinyLM
torch.set_num_threads(1)
out, steps, per, composed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
lr = float(sys.argv[5]) if len(sys.argv) > 5 else 1e-3
torch.manual_seed(CONFIG["seed"] + 30)
split, tok = train.load_split_and_tokenizer()
seqs = train.lm_sequences(tok, split, CONFIG["seed"] + 32, per_sequence=per)
print(len(seqs), "sequences", flush=True)
model = ComposedWordsLM(len(tok.vocab), train.compound_parts(tok)) if composed else TinyLM(len(tok.vocab))
def losses():
    for idx in train.batches(len(seqs), 64, steps, CONFIG["seed"] + 31):
        ids, pad = train.pad_batch([seqs[i][0] for i in idx], tok.pad_id)
        logits, _ = model(model.embed(ids), torch.arange(ids.shape[1]).expand(len(idx), -1), (~pad).long())
        whole, answer = train.lm_loss(logits, ids, pad, train.answer_mask([seqs[i][1] for i in idx], ids.shape[1]))
        yield whole + answer
train.optimise(list(model.parameters()), steps, lr, "lm", losses, wd=0.01)
torch.save((model.folded() if composed else model).state_dict(), os.path.join(out, "lm.pt"))
