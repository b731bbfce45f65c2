"""python -m xfconvert CHECKPOINT --out BUNDLE: what `xfbench convert` runs."""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import platform
import sys
import warnings

from .checkpoint import ConvertError, open_checkpoint

#: what the conversion imports; found (not imported) first, so a bad environment or checkpoint is told
#: in a moment instead of after torch's and transformers' seconds of import time
NEEDED = ("torch", "transformers", "onnx")
#: found too, but not a version the bundle records (the manifest check, manifest_schema.py)
ALSO_NEEDED = ("jsonschema",)
#: the transformers the converter is written against (4.44's API): 5.x builds models and image
#: processors differently, so it is refused rather than half-working (checkpoints it saved are read)
SUPPORTED_TRANSFORMERS = "4."


def environment() -> dict:
    """The versions of what the converter needs, or which module is missing (without importing any);
    "unsupported" names a module found in a version the converter does not run on. xfbench's
    `convert` and its bench both read this (src/convert/python.ts says it in words)."""
    for module in NEEDED + ALSO_NEEDED:
        if importlib.util.find_spec(module) is None:
            return {"missing": module}
    versions = {"python": platform.python_version(), **{m: importlib.metadata.version(m) for m in NEEDED}}
    if not versions["transformers"].startswith(SUPPORTED_TRANSFORMERS):
        return {**versions, "unsupported": "transformers"}
    return versions


def user_path(file: str, checkpoint) -> str:
    """A file of the view a checkpoint may be read through (legacy_view.py), named in the user's folder."""
    if checkpoint is not None and checkpoint.origin and checkpoint.folder != checkpoint.origin and file.startswith(checkpoint.folder):
        return checkpoint.origin + file[len(checkpoint.folder):]
    return file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xfconvert")
    parser.add_argument("checkpoint")
    parser.add_argument("--out", required=True)
    parser.add_argument("--name")
    parser.add_argument("--dtype", choices=("fp32", "fp16"), default="fp32")
    parser.add_argument("--external-data", choices=("auto", "always", "never"), default="auto")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(json.dumps({"progress": msg}), file=sys.stderr, flush=True)

    # torch.onnx's tracer warns about every Python-level branch in transformers' code; the graphs are
    # checked against transformers' own answers by the tests instead
    warnings.filterwarnings("ignore")
    env = environment()
    print(json.dumps({"environment": env}), flush=True)
    if "missing" in env or "unsupported" in env:
        return 2  # xfbench says why (src/convert/python.ts: environmentProblem)
    checkpoint = None
    try:
        checkpoint = open_checkpoint(args.checkpoint)
        from .bundle import convert
        result = convert(checkpoint, args.out, args.name, log, args.dtype, args.external_data)
    except ConvertError as err:
        print(json.dumps({"error": {"file": user_path(err.file, checkpoint), "message": err.message}}), flush=True)
        return 2
    print(json.dumps({"result": result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
