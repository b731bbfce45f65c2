"""python -m xfconvert CHECKPOINT --out BUNDLE: what `xfbench convert` runs."""
from __future__ import annotations

import argparse
import json
import sys
import warnings

from .checkpoint import ConvertError, open_checkpoint


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
    try:
        from .bundle import convert
        result = convert(open_checkpoint(args.checkpoint), args.out, args.name, log, args.dtype, args.external_data)
    except ConvertError as err:
        print(json.dumps({"error": {"file": err.file, "message": err.message}}), flush=True)
        return 2
    print(json.dumps({"result": result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
