"""Checkpoints saved by a newer transformers, read through the converter's pinned one.

transformers 4.45 and later save tokenizer.json with tokenizers 0.20, whose BPE merges are pairs
(`[["Ġ", "t"], ...]`); the converter's tokenizers 0.19 reads only the older `"Ġ t"` strings.
transformers 5 also names generic fast tokenizers `TokenizersBackend` in tokenizer_config.json, a
class 4.44 does not know. Both say the same thing in the older form, so the checkpoint is read through a
view: a temporary folder of links to its files, with those two files rewritten. The bundle carries the
rewritten tokenizer.json, which every tokenizers version reads and which encodes the same ids.

transformers 5's Blip2Processor.save_pretrained writes the image processor's settings inside
processor_config.json (under "image_processor", beside num_query_tokens) and no preprocessor_config.json;
the view holds them as the preprocessor_config.json that 4.44 reads. Its weights need no view: 5.25 has
no conversion mapping for BLIP-2, OPT or T5 (conversion_mapping.py), keeps their module names, and saves
with `save_original_format=True`, so the safetensors keys are 4.44's.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile

from .checkpoint import ConvertError, read_json

NEWER_TOKENIZER_CLASSES = {"TokenizersBackend": "PreTrainedTokenizerFast"}
#: transformers 5 names its torchvision-backed image processors as 4.44 named the PIL ones, and its
#: PIL ones with a "Pil" suffix (saved without it); 4.4x's torchvision ones end in "Fast"
IMAGE_PROCESSOR_SUFFIXES = ("Fast", "Pil")


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


def _image_processor_from_processor(folder: str, config: dict) -> dict | None:
    """preprocessor_config.json's settings from a processor_config.json, when only that holds them."""
    if os.path.isfile(os.path.join(folder, "preprocessor_config.json")):
        return None
    path = os.path.join(folder, "processor_config.json")
    if not os.path.isfile(path):
        return None
    processor = read_json(path)
    settings = processor.get("image_processor")
    if not isinstance(settings, dict):
        raise ConvertError(path, 'has no "image_processor" settings, and the folder has no preprocessor_config.json')
    queries = processor.get("num_query_tokens")
    if queries is not None and queries != config.get("num_query_tokens"):
        raise ConvertError(path, f"num_query_tokens {queries} is not config.json's {config.get('num_query_tokens')}: "
                                 "the processor would insert another number of image tokens than the model has queries")
    settings = dict(settings)
    kind = settings.get("image_processor_type")
    if isinstance(kind, str) and kind.endswith(IMAGE_PROCESSOR_SUFFIXES):
        settings["image_processor_type"] = kind.removesuffix("Fast").removesuffix("Pil")
    return settings


def legacy_view(folder: str, config: dict) -> str:
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
    image_processor = _image_processor_from_processor(folder, config)
    if image_processor is not None:
        rewritten["preprocessor_config.json"] = image_processor
    if not rewritten:
        return folder
    view = tempfile.mkdtemp(prefix="xfconvert-view-")
    atexit.register(shutil.rmtree, view, ignore_errors=True)
    for name in os.listdir(folder):
        if name not in rewritten:
            os.symlink(os.path.abspath(os.path.join(folder, name)), os.path.join(view, name))
    for name, content in rewritten.items():
        with open(os.path.join(view, name), "w", encoding="utf-8") as f:
            json.dump(content, f, ensure_ascii=False)
    return view
