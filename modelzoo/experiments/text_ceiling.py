"""Per-detailed-type accuracy of a trained LM reading the true scene text (describe) on gqa-mini: the
ceiling the visual tokens can reach. Usage: python3 modelzoo/experiments/text_ceiling.py WORK_DIR (holding
lm.pt and tokenizer.json). About a minute on one core."""
import json, os, sys, collections
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import torch
torch.set_num_threads(1)
from xfzoo import evaluate
from xfzoo.questions import describe
from xfzoo.config import FIXTURES
from xfzoo.models import TinyLM
from xfzoo.tokenizer import WordTokenizer
from xfzoo.scenes import Scene, SceneObject, SIZES
W = sys.argv[1]
tok = WordTokenizer(json.load(open(os.path.join(W, 'tokenizer.json')))["model"]["vocab"])
lm = TinyLM(len(tok.vocab)); lm.load_state_dict(torch.load(os.path.join(W, 'lm.pt'))); lm.eval()
pipe = evaluate.Pipeline('clip', tok, None, None, lm, None)
root = os.path.join(FIXTURES, 'gqa-mini')
recs = json.load(open(os.path.join(root, 'testdev_balanced_questions.json')))
graphs = json.load(open(os.path.join(root, 'scene_graphs.json')))
by = collections.defaultdict(lambda: [0, 0, collections.Counter()])
for qid, r in recs.items():
    if not r['isBalanced']: continue
    g = graphs[r["imageId"]]
    objs = [SceneObject(oid, o["name"], o["attributes"][0], o["attributes"][1], o["attributes"][2],
                        o["x"] + SIZES[o["attributes"][1]], o["y"] + SIZES[o["attributes"][1]]) for oid, o in g["objects"].items()]
    scene = Scene(r["imageId"], g["background"], objs)
    p = pipe.generate(lm.embed(torch.tensor([tok.encode(describe(scene))])), r["question"])[0]
    t = by[r['types']['detailed']]
    t[0] += p == r['answer'].lower(); t[1] += 1; t[2][p] += 1
tot = sum(v[0] for v in by.values()), sum(v[1] for v in by.values())
print('overall', round(100*tot[0]/tot[1], 1))
for k, (c, n, cnt) in sorted(by.items()):
    print(f"{k:16s} {100*c/n:5.1f} n={n:4d} preds={cnt.most_common(4)}")
