"""
A test checkpoint re-saved as transformers 5 saves it, for the converter's tests.

transformers 5 needs torch 2, and the converter's venv has Debian's torch 1.13, so it cannot run here.
This writes what 5.25's save_pretrained writes, file by file, as read from its source (the wheel):

- tokenizer.json: written by a current tokenizers (0.23, in its own venv, .venv-tokenizers: BPE merges
  as pairs), with the "<image>" token that Blip2Processor.__init__ adds (special, not normalized);
- tokenizer_config.json: `tokenizer_class` "TokenizersBackend" (tokenization_utils_tokenizers.py), the
  added token, `processor_class`;
- config.json: `dtype` for `torch_dtype` (configuration_utils.py), `image_token_index` (the "<image>"
  id, as the Hub's re-saved BLIP-2s have it), `transformers_version`;
- processor_config.json, holding the image processor's settings under "image_processor" with
  `num_query_tokens` (ProcessorMixin.save_pretrained writes no preprocessor_config.json); the image
  processor class is named as 5.x names it;
- the weights unchanged: 5.25's conversion_mapping.py has no entry for BLIP-2, OPT or T5, their module
  names are 4.44's, and save_pretrained reverts any conversion (`save_original_format=True`);
- an X-Former's MAE, with --mae-layout new, as `save_pretrained(save_original_format=False)` leaves it:
  ViTMAEModel's modules under 5.x's names (the "ViTModel" renaming of conversion_mapping.py).

python -m xfconvert.testing.transformers5_save SOURCE OUT [--mae-layout original|new] [--processor-class NAME]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess

from safetensors.torch import load_file, save_file

VERSION = "5.25.0"

# conversion_mapping.py's "ViTModel" renaming (4.x names to 5.x names), applied in its order
VIT_ORIGINAL_TO_NEW = [
    (r"encoder\.layer\.", "layers."),
    (r"attention\.query", "q_proj"),
    (r"attention\.key", "k_proj"),
    (r"attention\.value", "v_proj"),
    (r"attention\.output\.dense", "attention.o_proj"),
    (r"intermediate\.dense", "mlp.fc1"),
    (r"output\.dense", "mlp.fc2"),
]


def _read(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _write(path: str, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def _config_as_5x(path: str, **extra) -> None:
    config = _read(path)
    if "torch_dtype" in config:
        config["dtype"] = config.pop("torch_dtype")
    config.update(extra, transformers_version=VERSION)
    _write(path, config)


# run by the newer tokenizers' Python: adds "<image>" as Blip2Processor does, saves, prints its id
ADD_IMAGE_TOKEN = """
import sys
from tokenizers import AddedToken, Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
tok.add_special_tokens([AddedToken("<image>", normalized=False, special=True)])
tok.save(sys.argv[1])
print(tok.token_to_id("<image>"))
"""


def newer_tokenizers_python() -> str:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    python = os.environ.get("XFBENCH_TOKENIZERS_PYTHON", os.path.join(root, ".venv-tokenizers", "bin", "python"))
    if not os.path.isfile(python):
        raise SystemExit(f"{python} is missing: run bash scripts/install-converter-deps.sh")
    return python


def _tokenizer_with_image_token(folder: str) -> int:
    """Adds "<image>" as Blip2Processor does and saves tokenizer.json with a current tokenizers."""
    path = os.path.join(folder, "tokenizer.json")
    done = subprocess.run([newer_tokenizers_python(), "-c", ADD_IMAGE_TOKEN, path], capture_output=True, text=True, check=True)
    image_id = int(done.stdout.strip())
    merges = _read(path)["model"].get("merges")
    if merges and not isinstance(merges[0], list):
        raise SystemExit(f"{path}: the newer tokenizers did not write merges as pairs")
    cfg_path = os.path.join(folder, "tokenizer_config.json")
    cfg = _read(cfg_path)
    cfg["tokenizer_class"] = "TokenizersBackend"
    cfg["processor_class"] = "Blip2Processor"
    cfg.setdefault("added_tokens_decoder", {})[str(image_id)] = {
        "content": "<image>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
    _write(cfg_path, cfg)
    return image_id


def resave_blip2(folder: str, processor_class: str) -> None:
    config = _read(os.path.join(folder, "config.json"))
    image_id = _tokenizer_with_image_token(folder)
    rows = config["text_config"]["vocab_size"]
    if image_id >= rows:
        # transformers would resize the LM's embeddings, which changes the weights: not this helper's job
        raise SystemExit(f"the LM has {rows} embedding rows and no room for <image> (id {image_id}): use a checkpoint "
                         "whose head is wider than its vocabulary")
    _config_as_5x(os.path.join(folder, "config.json"), image_token_index=image_id)
    generation = os.path.join(folder, "generation_config.json")
    if os.path.isfile(generation):
        _config_as_5x(generation)
    image_processor = _read(os.path.join(folder, "preprocessor_config.json"))
    image_processor["image_processor_type"] = processor_class
    image_processor.pop("processor_class", None)
    os.remove(os.path.join(folder, "preprocessor_config.json"))
    _write(os.path.join(folder, "processor_config.json"), {
        "image_processor": image_processor, "num_query_tokens": config["num_query_tokens"],
        "processor_class": "Blip2Processor"})


def _new_vit_key(key: str) -> str:
    for pattern, replacement in VIT_ORIGINAL_TO_NEW:
        key = re.sub(pattern, replacement, key)
    return key


def resave_mae(folder: str, layout: str) -> None:
    _config_as_5x(os.path.join(folder, "config.json"))
    if layout == "new":
        path = os.path.join(folder, "model.safetensors")
        save_file({_new_vit_key(k): v.contiguous() for k, v in load_file(path).items()}, path, metadata={"format": "pt"})


def resave(source: str, out: str, mae_layout: str = "original", processor_class: str = "BlipImageProcessor") -> None:
    shutil.copytree(source, out)
    config = _read(os.path.join(out, "config.json"))
    spec = config.get("xformer")
    if spec is None:
        resave_blip2(out, processor_class)
        return
    resave_blip2(os.path.join(out, spec.get("blip2", "blip2")), processor_class)
    resave_mae(os.path.join(out, spec.get("mae", "mae")), mae_layout)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("source")
    p.add_argument("out")
    p.add_argument("--mae-layout", choices=("original", "new"), default="original")
    p.add_argument("--processor-class", default="BlipImageProcessor")
    a = p.parse_args()
    resave(a.source, a.out, a.mae_layout, a.processor_class)


if __name__ == "__main__":
    main()
