"""Checkpoints saved by a newer transformers, read through the converter's pinned one.

transformers 4.45 and later save tokenizer.json with tokenizers 0.20, whose BPE merges are pairs
(`[["Ġ", "t"], ...]`); the converter's tokenizers 0.19 reads only the older `"Ġ t"` strings.
transformers 5 also names generic fast tokenizers `TokenizersBackend` in tokenizer_config.json, a
class 4.44 does not know. Both say the same thing in the older form, so the checkpoint is read through a
view: a temporary folder of links to its files, with those two files rewritten. The bundle carries the
rewritten tokenizer.json, which every tokenizers version reads and which encodes the same ids.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile

from .checkpoint import ConvertError

NEWER_TOKENIZER_CLASSES = {"TokenizersBackend": "PreTrainedTokenizerFast"}


def _merges_as_strings(path: str, tokenizer: dict) -> bool:
    """Rewrites pair merges as "a b" strings in place; False when there were none to rewrite."""
    merges = (tokenizer.get("model") or {}).get("merges")
    if not merges or not isinstance(merges[0], list):
        return False
    spaced = next((m for m in merges if any(" " in part for part in m)), None)
    if spaced is not None:
        raise ConvertError(path, f"a merge holds a space ({json.dumps(spaced)}), which the converter's tokenizers 0.19 "
                                 "cannot read: save the tokenizer with transformers < 4.45 to convert it")
    tokenizer["model"]["merges"] = [" ".join(m) for m in merges]
    return True


def legacy_view(folder: str) -> str:
    """The folder itself when the pinned transformers reads it as it is, else a view that it reads."""
    rewritten: dict[str, dict] = {}
    tok_path = os.path.join(folder, "tokenizer.json")
    if os.path.isfile(tok_path):
        try:
            with open(tok_path, encoding="utf-8") as f:
                tokenizer = json.load(f)
        except json.JSONDecodeError as err:
            raise ConvertError(tok_path, f"not valid JSON ({err.msg} at line {err.lineno})") from None
        if _merges_as_strings(tok_path, tokenizer):
            rewritten["tokenizer.json"] = tokenizer
    cfg_path = os.path.join(folder, "tokenizer_config.json")
    if os.path.isfile(cfg_path):
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
        if cfg.get("tokenizer_class") in NEWER_TOKENIZER_CLASSES:
            cfg["tokenizer_class"] = NEWER_TOKENIZER_CLASSES[cfg["tokenizer_class"]]
            rewritten["tokenizer_config.json"] = cfg
    if not rewritten:
        return folder
    view = tempfile.mkdtemp(prefix="xfconvert-view-")
    atexit.register(shutil.rmtree, view, ignore_errors=True)
    for name in os.listdir(folder):
        if name in rewritten:
            with open(os.path.join(view, name), "w", encoding="utf-8") as f:
                json.dump(rewritten[name], f, ensure_ascii=False)
        else:
            os.symlink(os.path.abspath(os.path.join(folder, name)), os.path.join(view, name))
    return view
