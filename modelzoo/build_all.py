"""Regenerates the whole model zoo from the seed: data, training, evaluation, export, references.

    npm run modelzoo          (or: /usr/bin/python3 modelzoo/build_all.py)
    /usr/bin/python3 modelzoo/build_all.py --from fusion
                              (retrain only the fusion modules, reusing the training split, tokenizer,
                               CLIP, MAE and LM already in modelzoo/work/; for iterating on stages 1-2)
    /usr/bin/python3 modelzoo/build_all.py --from evaluate
                              (rewrite the mini benchmarks and score the committed models on them: the
                               weights in modelzoo/checkpoints/ are copied into modelzoo/work/, nothing
                               is trained or exported; for a change to the evaluation sets alone)

Independent training stages run two at a time (one torch thread each), matching a 2-core machine.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from xfzoo.config import CONFIG, FIXTURES as ROOT_FIXTURES, WORK  # noqa: E402


def run_parallel(*chains: str) -> None:
    """Each argument is a chain of stages ("clip,mae") run in order; chains run side by side."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    procs = [subprocess.Popen(["bash", "-c", " && ".join(f"{sys.executable} -m xfzoo.train {s}" for s in c.split(","))],
                              cwd=HERE, env=env) for c in chains]
    codes = [p.wait() for p in procs]
    if any(codes):
        sys.exit(f"training stage failed: {dict(zip(chains, codes))}")


def evaluate_committed_models() -> None:
    """Scores the committed weights on freshly written mini benchmarks; the training record stays."""
    import shutil
    from xfzoo.build_fixtures import write_all
    from xfzoo.evaluate import evaluate_all
    from xfzoo.report import update_readme
    import torch
    torch.set_num_threads(1)
    write_all()
    os.makedirs(WORK, exist_ok=True)
    for name in ("clip.pt", "mae.pt", "lm.pt", "qformer.pt", "xformer.pt", "tokenizer.json"):
        shutil.copyfile(os.path.join(HERE, "checkpoints", name), os.path.join(WORK, name))
    with open(os.path.join(HERE, "results.json")) as f:
        trained = json.load(f)
    results = evaluate_all()
    for key in ("config", "wall_seconds", "built_from"):
        results[key] = trained[key]
    results["scored_by"] = "evaluate"
    # the parity references name gqa-mini questions and images, so they follow the rewritten set
    from xfzoo.evaluate import load_parts
    from xfzoo.export import write_parity
    for kind, name in (("clip", "xf-tiny-clip"), ("clip+mae", "xf-tiny-xformer")):
        write_parity(load_parts(kind), os.path.join(ROOT_FIXTURES, "references", name), os.path.join(ROOT_FIXTURES, "gqa-mini"))
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    update_readme(results)


def main(argv: list[str]) -> None:
    start = argv[argv.index("--from") + 1] if "--from" in argv else "data"
    if start not in ("data", "fusion", "evaluate"):
        sys.exit("--from takes data (everything, the default), fusion or evaluate")
    t0 = time.time()
    if start == "evaluate":
        evaluate_committed_models()
        print(f"committed models scored on rewritten benchmarks in {time.time() - t0:.0f}s", flush=True)
        return
    from xfzoo.build_fixtures import write_all
    write_all()
    print(f"fixtures written ({time.time() - t0:.0f}s)", flush=True)
    if start == "data":
        run_parallel("prepare")
        # stage 1 of both fusion modules needs CLIP and MAE but not the LM, the longest stage
        run_parallel("clip,mae,qformer1,xformer1", "lm")
    else:
        run_parallel("qformer1", "xformer1")
    run_parallel("qformer2", "xformer2")
    from xfzoo.evaluate import evaluate_all
    from xfzoo.export import export_bundles, write_photo_references
    import torch
    torch.set_num_threads(1)
    results = evaluate_all()
    results["config"] = CONFIG
    results["wall_seconds"] = round(time.time() - t0)
    results["built_from"] = start
    with open(os.path.join(HERE, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    export_bundles()
    write_photo_references()
    from xfzoo.report import update_readme
    update_readme(results)
    print(f"model zoo rebuilt in {time.time() - t0:.0f}s (wall)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
