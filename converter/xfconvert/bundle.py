"""Converting a checkpoint folder into a bundle folder: graphs, tokenizer.json and the manifest."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time

import torch
import transformers
from tokenizers import Tokenizer

from . import graphs, xformer
from .checkpoint import Checkpoint, ConvertError, image_spec, read_json
from .onnx_files import GraphWriter
from .loading import load_checked
from .manifest_schema import ManifestError, check_manifest

FORMAT_VERSION = 1
# LAVIS's zero-shot VQA/GQA prompt and generation settings (blip2_opt / blip2_t5 predict_answers)
LAVIS_PROMPT = "Question: {question} Short answer:"
LAVIS_GENERATION = {"numBeams": 5, "maxNewTokens": 10, "minNewTokens": 1}
LAVIS_LENGTH_PENALTY = {"decoder-only": 0.0, "encoder-decoder": -1.0}


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def load_model(ckpt: Checkpoint):
    return load_checked(getattr(transformers, ckpt.architecture), ckpt.folder, "checkpoint", torch_dtype=torch.float32)


def check_tokenizer(ckpt: Checkpoint, tok: Tokenizer) -> None:
    """
    xfbench runs tokenizer.json with its post-processor; transformers' tokenizer may add tokens of its
    own (an older OPT tokenizer_config's add_bos_token with a post-processor that does not). A prompt
    encoded both ways must agree, or the bundle would read other prompts than the checkpoint was given.
    """
    prompt = LAVIS_PROMPT.replace("{question}", "What color is the small cube on the left?")
    ours = tok.encode(prompt, add_special_tokens=True).ids
    try:
        theirs = transformers.AutoTokenizer.from_pretrained(ckpt.folder)(prompt).input_ids
    except (OSError, ValueError) as err:
        raise ConvertError(ckpt.file("tokenizer_config.json"), f"transformers could not load the tokenizer ({str(err).splitlines()[0]})") from None
    if ours != theirs:
        raise ConvertError(ckpt.file("tokenizer.json"), f"its post-processor gives {ours[:4]}... for the prompt where transformers' "
                                                        f"tokenizer gives {theirs[:4]}...: re-save the tokenizer so tokenizer.json "
                                                        "adds the special tokens itself (save_pretrained of a fast tokenizer)")


def token_string(tok: Tokenizer, token_id: int, what: str, path: str) -> str:
    s = tok.id_to_token(token_id)
    if s is None:
        raise ConvertError(path, f"{what} id {token_id} is not in tokenizer.json's vocabulary")
    return s


def clean_up_spaces(ckpt: Checkpoint) -> bool:
    """transformers' decode cleans up tokenization spaces unless tokenizer_config.json turns it off (4.44's default: on)."""
    path = ckpt.file("tokenizer_config.json")
    return bool(read_json(path).get("clean_up_tokenization_spaces", True)) if os.path.isfile(path) else True


def end_token_ids(ckpt: Checkpoint, tok: Tokenizer) -> list[int]:
    if ckpt.lm_kind == "decoder-only":
        # LAVIS ends an OPT answer at the newline token (and only there)
        return [tok.encode("\n", add_special_tokens=False).ids[0]]
    return [int(ckpt.config["text_config"].get("eos_token_id", 1))]


def generation_settings(ckpt: Checkpoint, tok: Tokenizer) -> dict:
    # LAVIS passes min_length=1; for T5 transformers counts the decoder's start token in it, so no
    # new token is forced there, while for OPT (generating from embeddings) the first one is
    min_new = LAVIS_GENERATION["minNewTokens"] if ckpt.lm_kind == "decoder-only" else 0
    return {"strategy": "beam", **LAVIS_GENERATION, "minNewTokens": min_new,
            "lengthPenalty": LAVIS_LENGTH_PENALTY[ckpt.lm_kind], "endTokenIds": end_token_ids(ckpt, tok), "stop": []}


CACHE_NAMES = {"pastKey": "past_key_values.{layer}.key", "pastValue": "past_key_values.{layer}.value",
               "presentKey": "present.{layer}.key", "presentValue": "present.{layer}.value"}


def export_opt(model, writer: GraphWriter, log) -> dict:
    text = model.config.text_config
    width = getattr(text, "word_embed_proj_dim", text.hidden_size)
    if width != text.hidden_size:
        raise ConvertError("config.json", f"OPT with word_embed_proj_dim {width} != hidden_size {text.hidden_size} is not supported")
    heads, layers = text.num_attention_heads, text.num_hidden_layers
    log("exporting the LM's decoder")
    graphs.export_causal_decoder(model.language_model, layers, heads, text.hidden_size // heads, text.hidden_size,
                                 writer.scratch_path("lm_decoder"))
    writer.finish("lm_decoder")
    return {
        "decoderGraph": "lm_decoder.onnx",
        "inputs": {"embeds": "inputs_embeds", "attentionMask": "attention_mask"},
        "logits": "logits",
        "cache": {"layers": layers, "heads": heads, "headDim": text.hidden_size // heads, **CACHE_NAMES},
        "hiddenSize": text.hidden_size,
        "maxPositions": text.max_position_embeddings,
    }


def export_t5(model, writer: GraphWriter, log) -> dict:
    text = model.config.text_config
    layers = text.num_decoder_layers
    log("exporting the LM's encoder, cross-attention cache and decoder")
    names = ("lm_encoder", "lm_cross", "lm_decoder")
    graphs.export_seq2seq(model.language_model, layers, text.num_heads, text.d_kv, text.d_model,
                          {"encoder": writer.scratch_path(names[0]), "cross": writer.scratch_path(names[1]),
                           "decoder": writer.scratch_path(names[2])})
    for n in names:
        writer.finish(n)
    return {
        "decoderGraph": "lm_decoder.onnx",
        # the decoder's attention mask is the encoder's (which prompt positions are padding)
        "inputs": {"embeds": "inputs_embeds", "attentionMask": "attention_mask"},
        "logits": "logits",
        "cache": {"layers": layers, "heads": text.num_heads, "headDim": text.d_kv, **CACHE_NAMES},
        "hiddenSize": text.d_model,
        # relative positions: no learned limit; T5's tokenizers cap inputs at 512
        "maxPositions": 512,
        "encoderDecoder": {
            "encoderGraph": "lm_encoder.onnx", "encoderInputs": {"embeds": "inputs_embeds", "attentionMask": "attention_mask"},
            "encoderOutput": "encoder_states", "crossGraph": "lm_cross.onnx", "crossInput": "encoder_states",
            "crossKey": "cross.{layer}.key", "crossValue": "cross.{layer}.value", "decoderStatesInput": "encoder_states",
            "decoderStartTokenId": int(text.decoder_start_token_id),
        },
    }


def export_xformer_fusion(model, folder: str, patches: int, writer: GraphWriter, log) -> dict:
    """The MAE encoder and the X-Former fusion graph; returns the MAE encoder's manifest entry."""
    parts = xformer.XFormerCheckpoint(folder)
    mae, fusion, placement = parts.load(model)
    mae_spec = image_spec(parts.mae_dir)
    mae_tokens = (mae.config.image_size // mae.config.patch_size) ** 2 + 1
    log("exporting the MAE encoder")
    graphs.export(xformer.MaeGraph(mae, placement.mae_layer), (torch.zeros(1, 3, mae_spec["size"][1], mae_spec["size"][0]),),
                  writer.scratch_path("mae_encoder"), ["pixel_values"], ["image_features"],
                  {"pixel_values": {0: "batch"}, "image_features": {0: "batch"}})
    writer.finish("mae_encoder")
    log("exporting the Q-Former with the dual cross-attention, and the projection")
    graph = xformer.XFormerFusionGraph(model, fusion, placement)
    graphs.export(graph, (torch.zeros(1, patches, model.config.vision_config.hidden_size), torch.zeros(1, mae_tokens, mae.config.hidden_size)),
                  writer.scratch_path("fusion"), ["image_features", "mae_features"], ["visual_tokens"],
                  {"image_features": {0: "batch"}, "mae_features": {0: "batch"}, "visual_tokens": {0: "batch"}})
    writer.finish("fusion")
    return {"id": "mae", "graph": "mae_encoder.onnx", "input": "pixel_values", "output": "image_features",
            "fusionInput": "mae_features", "image": mae_spec}


def convert(ckpt: Checkpoint, out: str, name: str | None = None, log=print, dtype: str = "fp32",
            external_data: str = "auto") -> dict:
    started = time.time()
    # the tokenizer first: a mismatch is found before minutes of export
    try:
        tok = Tokenizer.from_file(ckpt.file("tokenizer.json"))
    except Exception as err:  # the tokenizers library raises its own exception types
        raise ConvertError(ckpt.file("tokenizer.json"), f"not a tokenizer the tokenizers library reads ({err})") from None
    check_tokenizer(ckpt, tok)
    os.makedirs(out, exist_ok=True)
    model = load_model(ckpt)
    cfg = model.config
    vision, text = cfg.vision_config, cfg.text_config
    spec = image_spec(ckpt.folder)
    patches = (vision.image_size // vision.patch_size) ** 2 + 1
    encoders = [{"id": "vision", "graph": "vision_encoder.onnx", "input": "pixel_values",
                 "output": "image_features", "fusionInput": "image_features", "image": spec}]
    writer = GraphWriter(out, dtype, external_data)
    try:
        log("exporting the vision encoder")
        graphs.export_vision(model.vision_model, tuple(spec["size"]), writer.scratch_path("vision_encoder"))
        writer.finish("vision_encoder")
        if ckpt.xformer_folder:
            encoders.append(export_xformer_fusion(model, ckpt.xformer_folder, patches, writer, log))
        else:
            log("exporting the Q-Former and projection")
            graphs.export_fusion(model, patches, vision.hidden_size, writer.scratch_path("fusion"))
            writer.finish("fusion")
        log("exporting the LM's embeddings")
        graphs.export_embed(model.get_input_embeddings(), writer.scratch_path("lm_embed"))
        writer.finish("lm_embed")
        lm = (export_opt if ckpt.lm_kind == "decoder-only" else export_t5)(model, writer, log)
    finally:
        writer.close()
    architecture = xformer.ARCHITECTURE if ckpt.xformer_folder else ckpt.architecture
    shutil.copyfile(ckpt.file("tokenizer.json"), os.path.join(out, "tokenizer.json"))
    tok_path = ckpt.file("tokenizer.json")
    files = writer.files + ["tokenizer.json"]
    # the checkpoint's own generation settings travel with the bundle, as a record of what it asked
    # for: what changes answers was refused at the start (check_generation_config), the rest is LAVIS's
    generation_config = os.path.join(ckpt.origin or ckpt.folder, "generation_config.json")
    if os.path.isfile(generation_config):
        shutil.copyfile(generation_config, os.path.join(out, "generation_config.json"))
        files.append("generation_config.json")
    manifest = {
        "format": "xfbench-bundle",
        "formatVersion": FORMAT_VERSION,
        "name": name or os.path.basename(os.path.normpath(ckpt.xformer_folder or ckpt.origin or ckpt.folder)),
        "description": f"{architecture} ({text.model_type.upper()}) converted by xfbench convert",
        "source": {"architecture": architecture, "languageModel": text.model_type, "dtype": dtype,
                   "transformers": transformers.__version__, "torch": torch.__version__},
        "fusionKind": "clip+mae" if ckpt.xformer_folder else "clip",
        "encoders": encoders,
        "fusion": {"graph": "fusion.onnx", "output": "visual_tokens", "numTokens": cfg.num_query_tokens},
        "lm": {"embedGraph": "lm_embed.onnx", "embedInput": "input_ids", "embedOutput": "inputs_embeds", **lm},
        "tokenizer": {"file": "tokenizer.json", "addSpecialTokens": True, "cleanUpSpaces": clean_up_spaces(ckpt),
                      "eosToken": token_string(tok, text.eos_token_id, "eos_token_id", tok_path),
                      "padToken": token_string(tok, text.pad_token_id, "pad_token_id", tok_path)},
        "prompt": {"template": LAVIS_PROMPT},
        "generation": generation_settings(ckpt, tok),
        "files": {f: sha256(os.path.join(out, f)) for f in sorted(files)},
    }
    try:
        check_manifest(manifest)
    except ManifestError as err:  # the converter's own fault, not the checkpoint's: a bug to report
        raise RuntimeError(f"the manifest the converter made breaks schemas/bundle-manifest.schema.json at {err}") from None
    with open(os.path.join(out, "xfbench.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    size = sum(os.path.getsize(os.path.join(out, f)) for f in files)
    return {"bundle": out, "seconds": round(time.time() - started, 2), "bytes": size}
