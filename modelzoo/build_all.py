"""Regenerates the whole model zoo from the seed: data, training, evaluation, export, references.

    npm run modelzoo          (or: /usr/bin/python3 modelzoo/build_all.py)
    /usr/bin/python3 modelzoo/build_all.py --from fusion
                              (retrain only the fusion modules, reusing the training split, tokenizer,
                               CLIP, MAE and LM already in modelzoo/work/; for iterating on stages 1-2)

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

from xfzoo.config import CONFIG, WORK  # noqa: E402


def run_parallel(*chains: str) -> None:
    """Each argument is a chain of stages ("clip,mae") run in order; chains run side by side."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    procs = [subprocess.Popen(["bash", "-c", " && ".join(f"{sys.executable} -m xfzoo.train {s}" for s in c.split(","))],
                              cwd=HERE, env=env) for c in chains]
    codes = [p.wait() for p in procs]
    if any(codes):
        sys.exit(f"training stage failed: {dict(zip(chains, codes))}")


def main(argv: list[str]) -> None:
    start = argv[argv.index("--from") + 1] if "--from" in argv else "data"
    if start not in ("data", "fusion"):
        sys.exit("--from takes data (everything, the default) or fusion")
    t0 = time.time()
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
