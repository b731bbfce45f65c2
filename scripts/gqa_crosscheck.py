"""An independent, plain-Python implementation of the GQA scorer's definitions (as written in
shared/reference/benchmarks.md), used by the test suite to cross-check xfbench's numbers.

    python3 scripts/gqa_crosscheck.py QUESTIONS.json PREDICTIONS.json   ->  JSON of every metric
PREDICTIONS.json is GQA's official list [{"questionId", "prediction"}] (xfbench report --format gqa-predictions).
"""
import json
import sys
from collections import defaultdict


def steps(question):
    count = 0
    for c in question["semantic"]:
        text = "{}: {}".format(c["operation"], c["argument"])
        if not any(o in text for o in ("exist", "query: name", "choose name")):
            count += 1
    return count


def main():
    questions = json.load(open(sys.argv[1]))
    predictions = {p["questionId"]: p["prediction"] for p in json.load(open(sys.argv[2]))}
    buckets = defaultdict(list)
    consistency = []
    gold_dist, pred_dist = defaultdict(lambda: defaultdict(int)), defaultdict(lambda: defaultdict(int))
    for qid, q in questions.items():
        if not q["isBalanced"] or qid not in predictions:
            continue
        gold, pred = q["answer"], predictions[qid]
        score = 1.0 if pred == gold else 0.0
        buckets["overall"].append(score)
        buckets["open" if q["types"]["structural"] == "query" else "binary"].append(score)
        buckets["structural/" + q["types"]["structural"]].append(score)
        buckets["semantic/" + q["types"]["semantic"]].append(score)
        buckets["steps/%d" % steps(q)].append(score)
        buckets["words/%d" % len(q["question"].split())].append(score)
        group = q["groups"]["global"]
        if group is not None:
            gold_dist[group][gold] += 1
            pred_dist[group][pred] += 1
        entailed = [e for e in q["entailed"] if e != qid]
        if score == 1.0 and entailed:
            consistency.append(sum(1.0 if predictions[e] == questions[e]["answer"] else 0.0 for e in entailed) / len(entailed))
    total_score, total = 0.0, 0
    for group, answers in gold_dist.items():
        score = sum((pred_dist[group].get(a, 0) - e) ** 2 / e for a, e in answers.items())
        overall = sum(answers.values())
        total_score += score * overall
        total += overall
    out = {k: 100.0 * sum(v) / len(v) for k, v in buckets.items()}
    out["consistency"] = 100.0 * sum(consistency) / len(consistency)
    out["distribution"] = total_score / total / 100
    print(json.dumps(out))


main()
