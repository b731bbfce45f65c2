"""Renders results.json into the results table of modelzoo/README.md (between markers)."""
from __future__ import annotations

import os

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START, END = "<!-- results:start -->", "<!-- results:end -->"
ROWS = ["overall", "structural/verify", "structural/query", "structural/choose", "structural/logical",
        "structural/compare", "semantic/obj", "semantic/attr", "semantic/rel", "semantic/cat", "semantic/global"]


def table(results: dict) -> str:
    cols = [("majority/type", results["baselines"]["majority per detailed type"]),
            ("question-only", results["baselines"]["question only (BoW)"]),
            ("xf-tiny-clip", results["models"]["xf-tiny-clip"]["gqa"]),
            ("xf-tiny-xformer", results["models"]["xf-tiny-xformer"]["gqa"]),
            ("LM reading true scene text", results["text upper bound"])]
    lines = ["| gqa-mini (balanced) | n | " + " | ".join(c for c, _ in cols) + " |",
             "|---|---:|" + "---:|" * len(cols)]
    for row in ROWS:
        n = cols[0][1][row]["n"]
        lines.append(f"| {row} | {n} | " + " | ".join(f"{c[row]['accuracy']:.1f}" for _, c in cols) + " |")
    lines += ["", "| gvtbench-mini | n | xf-tiny-clip | xf-tiny-xformer |", "|---|---:|---:|---:|"]
    a, b = results["models"]["xf-tiny-clip"]["gvtbench"], results["models"]["xf-tiny-xformer"]["gvtbench"]
    for key in ("coco_oc", "vcr_oc", "coco_mci", "vcr_mci"):
        lines.append(f"| {key} accuracy | {a[key]['n']} | {a[key]['accuracy']:.1f} | {b[key]['accuracy']:.1f} |")
        if "mae" in a[key]:
            lines.append(f"| {key} MAE (count) | {a[key]['n']} | {a[key]['mae']:.3f} | {b[key]['mae']:.3f} |")
    if results.get("built_from", "data") == "data":
        lines += ["", f"Measured in PyTorch by `npm run modelzoo` (wall time {results['wall_seconds']} s on this machine)."]
    else:
        lines += ["", f"Measured in PyTorch by `build_all.py --from fusion` (fusion stages onward, {results['wall_seconds']} s on "
                      "this machine), with the data, CLIP, MAE and LM of the same seeded code in modelzoo/work/."]
    if results.get("scored_by") == "evaluate":
        lines[-1] += (" The same weights were scored again on the current mini benchmarks by "
                      "`build_all.py --from evaluate`.")
    return "\n".join(lines)


def update_readme(results: dict) -> None:
    path = os.path.join(HERE, "README.md")
    with open(path) as f:
        text = f.read()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + START + "\n" + table(results) + "\n" + END + tail)
