"""
Loading a checkpoint's weights, checked: a weight the model expects and the checkpoint lacks, one the
checkpoint has and the model does not know, or one of another shape would leave part of the model at its
random initialisation, and the bundle would give numbers that look real and are not. transformers only
warns about these; here each refuses the checkpoint. Weights transformers itself ties or ignores by
design are not reported by it, so they are not errors here either.
"""
from __future__ import annotations

import glob
import os

from .checkpoint import ConvertError

SHOWN = 3


def _weights_file(folder: str) -> str:
    """The file to name in the message: the checkpoint's weights (or its index, when sharded)."""
    for pattern in ("model.safetensors.index.json", "model.safetensors", "pytorch_model.bin.index.json", "pytorch_model.bin", "*.safetensors"):
        found = sorted(glob.glob(os.path.join(folder, pattern)))
        if found:
            return found[0]
    return folder


def _listed(keys: list[str]) -> str:
    shown = ", ".join(keys[:SHOWN])
    return f"{shown}, ... ({len(keys) - SHOWN} more)" if len(keys) > SHOWN else shown


def weight_problems(info: dict, unused_prefixes: tuple[str, ...] = ()) -> list[str]:
    """What transformers' loading info says did not load, one phrase per kind of problem."""
    problems = []
    if info.get("missing_keys"):
        keys = sorted(info["missing_keys"])
        problems.append(f"{len(keys)} weights the model needs are missing ({_listed(keys)})")
    unexpected = [k for k in info.get("unexpected_keys") or [] if not k.startswith(unused_prefixes)]
    if unexpected:
        keys = sorted(unexpected)
        problems.append(f"{len(keys)} weights belong to no part of the model ({_listed(keys)})")
    if info.get("mismatched_keys"):
        items = sorted(info["mismatched_keys"])
        shown = ", ".join(f"{k} {list(a)} for {list(b)}" for k, a, b in items[:SHOWN])
        problems.append(f"{len(items)} weights have another shape than the model's ({shown})")
    if info.get("error_msgs"):
        problems.append(f"loading reported: {info['error_msgs'][0].splitlines()[0]}")
    return problems


def load_checked(cls, folder: str, what: str, unused_prefixes: tuple[str, ...] = (), **kwargs):
    """
    `cls.from_pretrained(folder)`, refused in one line when any weight does not load as the model
    expects. `unused_prefixes`: weights the checkpoint may carry for parts this model leaves out on
    purpose (an MAE saved with its pre-training decoder, read as the encoder alone).
    """
    try:
        # mismatched shapes reported in the loading info (refused below) instead of a multi-line RuntimeError
        model, info = cls.from_pretrained(folder, output_loading_info=True, ignore_mismatched_sizes=True, **kwargs)
    except (OSError, ValueError, RuntimeError) as err:
        raise ConvertError(folder, f"transformers could not load the {what} ({str(err).splitlines()[0]})") from None
    problems = weight_problems(info, unused_prefixes)
    if problems:
        raise ConvertError(_weights_file(folder), f"the {what}'s weights do not load: {'; '.join(problems)}")
    return model.eval()
