"""Reading a checkpoint folder: which architecture it is, and the settings a bundle needs from it."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass


class ConvertError(Exception):
    """A problem with the user's checkpoint: reported as one line naming the file, exit status 2."""

    def __init__(self, file: str, message: str):
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


# PIL's resample codes as preprocessor_config.json stores them, and the kernels xfbench implements
PIL_RESAMPLE = {1: "lanczos", 2: "bilinear", 3: "bicubic"}


@dataclass
class Checkpoint:
    #: the folder holding the BLIP-2 parts (an X-Former's blip2/ subfolder)
    folder: str
    config: dict
    architecture: str
    #: "decoder-only" (OPT) or "encoder-decoder" (T5)
    lm_kind: str
    #: an X-Former's top folder (its MAE ViT and dual cross-attention), or None for BLIP-2
    xformer_folder: str | None = None
    #: the folder as the user gave it (`folder` may be a view of it that the pinned transformers reads)
    origin: str | None = None

    def file(self, name: str) -> str:
        return os.path.join(self.folder, name)


def read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ConvertError(path, "not found (a checkpoint folder as save_pretrained writes it has one)") from None
    except json.JSONDecodeError as err:
        raise ConvertError(path, f"not valid JSON ({err.msg} at line {err.lineno})") from None


SUPPORTED = ("Blip2ForConditionalGeneration",)


def open_checkpoint(folder: str) -> Checkpoint:
    if not os.path.isdir(folder):
        raise ConvertError(folder, "checkpoint folder not found")
    config = read_json(os.path.join(folder, "config.json"))
    if "XFormerForConditionalGeneration" in (config.get("architectures") or []):
        # the BLIP-2 parts sit in a subfolder (docs/xformer-checkpoint.md)
        blip2 = os.path.join(folder, (config.get("xformer") or {}).get("blip2", "blip2"))
        ckpt = open_checkpoint(blip2)
        ckpt.xformer_folder = folder
        from .xformer_config import XFormerParts  # imports this module
        XFormerParts(folder)  # its parts and placement, checked before anything is loaded
        return ckpt
    archs = config.get("architectures") or []
    arch = next((a for a in archs if a in SUPPORTED), None)
    if arch is None:
        raise ConvertError(os.path.join(folder, "config.json"),
                           f"architectures {json.dumps(archs)} is none of {', '.join(SUPPORTED + ('XFormerForConditionalGeneration',))}")
    text = config.get("text_config") or {}
    if text.get("model_type") == "opt":
        lm_kind = "decoder-only"
    elif text.get("model_type") == "t5":
        lm_kind = "encoder-decoder"
    else:
        raise ConvertError(os.path.join(folder, "config.json"),
                           f"text_config.model_type {json.dumps(text.get('model_type'))} is not supported (opt or t5)")
    if not os.path.isfile(os.path.join(folder, "tokenizer.json")):
        raise ConvertError(os.path.join(folder, "tokenizer.json"),
                           "not found: xfbench reads the fast tokenizer's tokenizer.json (save the tokenizer with "
                           "a fast tokenizer, e.g. AutoTokenizer.from_pretrained(..., use_fast=True).save_pretrained)")
    check_generation_config(folder)
    check_image_token(folder, config)
    from .legacy_view import legacy_view  # imports this module
    return Checkpoint(legacy_view(folder, config), config, arch, lm_kind, origin=folder)


def check_image_token(folder: str, config: dict) -> None:
    """
    A checkpoint saved by transformers >= 4.47 may name an image token (`image_token_index`, "<image>" in the
    tokenizer): its processor puts num_query_tokens of them before the prompt's tokens and the model puts
    the visual tokens in their place, which is the sequence xfbench builds (visual tokens, then the
    prompt). The token itself is never embedded, so it only has to be the tokenizer's "<image>", inside
    the LM's embeddings, as transformers needs it to be.
    """
    index = config.get("image_token_index", config.get("image_token_id"))
    if index is None:
        return
    path = os.path.join(folder, "config.json")
    rows = (config.get("text_config") or {}).get("vocab_size")
    if not isinstance(index, int) or index < 0 or (isinstance(rows, int) and index >= rows):
        raise ConvertError(path, f"image_token_index {json.dumps(index)} is not a row of the LM's embeddings "
                                 f"(text_config.vocab_size {rows})")
    tokenizer = read_json(os.path.join(folder, "tokenizer.json"))
    named = next((t.get("id") for t in tokenizer.get("added_tokens") or [] if t.get("content") == "<image>"), None)
    if named is not None and named != index:
        raise ConvertError(path, f'image_token_index {index} is not the tokenizer\'s "<image>" (id {named}): '
                                 "the processor would mark other positions than the model fills")


# generation_config.json settings that change transformers' answers and that xfbench does not
# implement, with their neutral values: a checkpoint that sets one is refused rather than answered
# otherwise than transformers would. num_beams, max_new_tokens, min_length, length_penalty and the end
# token are not among them: the bundle's are LAVIS's, passed to generate() explicitly as LAVIS passes them.
UNSUPPORTED_GENERATION = {
    "repetition_penalty": (None, 1.0),
    "encoder_repetition_penalty": (None, 1.0),
    "no_repeat_ngram_size": (None, 0),
    "encoder_no_repeat_ngram_size": (None, 0),
    "bad_words_ids": (None, []),
    "force_words_ids": (None, []),
    "forced_bos_token_id": (None,),
    "forced_eos_token_id": (None,),
    "suppress_tokens": (None, []),
    "begin_suppress_tokens": (None, []),
    "sequence_bias": (None, {}),
    "do_sample": (None, False),
    "num_beam_groups": (None, 1),
    "diversity_penalty": (None, 0.0),
    "exponential_decay_length_penalty": (None,),
    "renormalize_logits": (None, False),
    "constraints": (None, []),
    "guidance_scale": (None, 1.0),
    "watermarking_config": (None,),
}


def check_generation_config(folder: str) -> None:
    """Refuses a generation_config.json that sets what xfbench does not do, naming every such setting."""
    path = os.path.join(folder, "generation_config.json")
    if not os.path.isfile(path):
        return
    config = read_json(path)
    found = [f"{key} {json.dumps(config[key])}" for key, neutral in UNSUPPORTED_GENERATION.items()
             if key in config and config[key] not in neutral]
    if found:
        raise ConvertError(path, f"sets {', '.join(found)}, which xfbench does not implement: its answers would differ "
                                 "from transformers'. Remove them (or set them neutral) to evaluate without them")


def image_spec(folder: str) -> dict:
    """An image processor's settings as transformers' own processor class reads them, as a bundle's image spec.

    preprocessor_config.json is not read raw: the class it names (or the model type's, when it names
    none) fills in its defaults (BlipImageProcessor: bicubic, 384; ViTImageProcessor: bilinear, 224) and
    reads legacy forms such as "size": 224.
    """
    path = os.path.join(folder, "preprocessor_config.json")
    read_json(path)  # one clear line when it is missing or not JSON
    try:
        from transformers import AutoImageProcessor
        proc = AutoImageProcessor.from_pretrained(folder)
    except Exception as err:  # transformers' own message, on one line
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ConvertError(path, f"transformers cannot read it as an image processor ({first})") from None
    size = getattr(proc, "size", None) or {}
    if not (isinstance(size, dict) and "height" in size and "width" in size):
        raise ConvertError(path, f"size {size!r} is not {{height, width}}: only a resize to a fixed size is supported")
    resample = int(getattr(proc, "resample", 3))
    if resample not in PIL_RESAMPLE:
        raise ConvertError(path, f"resample {resample} is not one xfbench implements ({PIL_RESAMPLE})")
    if getattr(proc, "do_center_crop", False):
        raise ConvertError(path, "do_center_crop is set: BLIP-2's and MAE's processors resize without a crop")
    if getattr(proc, "do_resize", True) is False or getattr(proc, "do_normalize", True) is False:
        raise ConvertError(path, "do_resize and do_normalize must be on")
    return {
        "size": [int(size["width"]), int(size["height"])],
        "resize": PIL_RESAMPLE[resample],
        "crop": "none",
        "colorSpace": "rgb",
        "rescale": float(proc.rescale_factor) if getattr(proc, "do_rescale", True) else 1.0,
        "mean": [float(x) for x in proc.image_mean],
        "std": [float(x) for x in proc.image_std],
    }
