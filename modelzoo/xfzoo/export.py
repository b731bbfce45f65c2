"""ONNX export of trained parts into xfbench bundles, plus the parity references xfbench tests against."""
from __future__ import annotations

import hashlib
import json
import os
import shutil

import numpy as np
import torch
from PIL import Image

from .config import FIXTURES, NORMALISE, WORK, normalise
from .data import PROMPT, make_scenes
from .evaluate import MAX_NEW_TOKENS, Pipeline, load_image, load_parts
from .models import IMG, FusionModule, TinyLM, ViT
from .shared import check_manifest

OPSET = 14
FORMAT_VERSION = 1


class EncoderGraph(torch.nn.Module):
    def __init__(self, vit: ViT):
        super().__init__()
        self.vit = vit

    def forward(self, pixel_values):
        return self.vit(pixel_values)


class FusionGraph(torch.nn.Module):
    def __init__(self, fusion: FusionModule):
        super().__init__()
        self.fusion = fusion

    def forward(self, clip_features, mae_features=None):
        return self.fusion.visual_tokens(clip_features, mae_features)


class EmbedGraph(torch.nn.Module):
    def __init__(self, lm: TinyLM):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids):
        return self.lm.embed(input_ids)


class DecoderGraph(torch.nn.Module):
    def __init__(self, lm: TinyLM):
        super().__init__()
        self.lm = lm

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.lm.depth)]
        logits, present = self.lm(inputs_embeds, position_ids, attention_mask, past)
        return (logits,) + tuple(t for kv in present for t in kv)


def past_names(depth: int, prefix: str) -> list[str]:
    return [f"{prefix}.{i}.{kv}" for i in range(depth) for kv in ("key", "value")]


def export_encoder(vit: ViT, path: str) -> None:
    torch.onnx.export(EncoderGraph(vit).eval(), (torch.zeros(1, 3, IMG, IMG),), path, opset_version=OPSET,
                      input_names=["pixel_values"], output_names=["image_features"],
                      dynamic_axes={"pixel_values": {0: "batch"}, "image_features": {0: "batch"}})


def export_fusion(fusion: FusionModule, path: str) -> None:
    args = (torch.zeros(1, 65, 64),) + ((torch.zeros(1, 65, 64),) if fusion.dual else ())
    names = ["clip_features"] + (["mae_features"] if fusion.dual else [])
    torch.onnx.export(FusionGraph(fusion).eval(), args, path, opset_version=OPSET, input_names=names,
                      output_names=["visual_tokens"],
                      dynamic_axes={**{n: {0: "batch"} for n in names}, "visual_tokens": {0: "batch"}})


def export_lm(lm: TinyLM, embed_path: str, decoder_path: str) -> None:
    torch.onnx.export(EmbedGraph(lm).eval(), (torch.zeros(1, 3, dtype=torch.long),), embed_path, opset_version=OPSET,
                      input_names=["input_ids"], output_names=["inputs_embeds"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "inputs_embeds": {0: "batch", 1: "sequence"}})
    b, t, p = 1, 2, 3
    dh = lm.dim // lm.heads
    past = tuple(torch.zeros(b, lm.heads, p, dh) for _ in range(2 * lm.depth))
    args = (torch.zeros(b, t, lm.dim), torch.ones(b, p + t, dtype=torch.long), torch.tensor([[p, p + 1]])) + past
    ins = ["inputs_embeds", "attention_mask", "position_ids"] + past_names(lm.depth, "past_key_values")
    outs = ["logits"] + past_names(lm.depth, "present")
    dyn = {"inputs_embeds": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "total"},
           "position_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch", 1: "sequence"}}
    dyn.update({n: {0: "batch", 2: "past"} for n in past_names(lm.depth, "past_key_values")})
    dyn.update({n: {0: "batch", 2: "total"} for n in past_names(lm.depth, "present")})
    torch.onnx.export(DecoderGraph(lm).eval(), args, decoder_path, opset_version=OPSET, input_names=ins,
                      output_names=outs, dynamic_axes=dyn)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def image_spec(encoder: str) -> dict:
    return {"size": [IMG, IMG], "resize": "bicubic", "crop": "none", "colorSpace": "rgb",
            "rescale": 1 / 255, "mean": NORMALISE[encoder]["mean"], "std": NORMALISE[encoder]["std"]}


def manifest(name: str, kind: str, lm: TinyLM, n_queries: int, files: list[str], folder: str) -> dict:
    encoders = [{"id": "clip", "graph": "clip_encoder.onnx", "input": "pixel_values", "output": "image_features",
                 "fusionInput": "clip_features", "image": image_spec("clip")}]
    if kind == "clip+mae":
        encoders.append({"id": "mae", "graph": "mae_encoder.onnx", "input": "pixel_values",
                         "output": "image_features", "fusionInput": "mae_features", "image": image_spec("mae")})
    return {
        "format": "xfbench-bundle",
        "formatVersion": FORMAT_VERSION,
        "name": name,
        "description": ("Tiny BLIP-2 style model: Q-Former over frozen CLIP features" if kind == "clip" else
                        "Tiny X-Former: Q-Former over frozen CLIP plus dual cross-attention to frozen MAE features"),
        "fusionKind": kind,
        "encoders": encoders,
        "fusion": {"graph": "fusion.onnx", "output": "visual_tokens", "numTokens": n_queries},
        "lm": {
            "embedGraph": "lm_embed.onnx", "embedInput": "input_ids", "embedOutput": "inputs_embeds",
            "decoderGraph": "lm_decoder.onnx",
            "inputs": {"embeds": "inputs_embeds", "attentionMask": "attention_mask", "positionIds": "position_ids"},
            "logits": "logits",
            "cache": {"layers": lm.depth, "heads": lm.heads, "headDim": lm.dim // lm.heads,
                      "pastKey": "past_key_values.{layer}.key", "pastValue": "past_key_values.{layer}.value",
                      "presentKey": "present.{layer}.key", "presentValue": "present.{layer}.value"},
            "hiddenSize": lm.dim, "maxPositions": lm.pos.num_embeddings,
        },
        "tokenizer": {"file": "tokenizer.json", "eosToken": "[EOS]", "padToken": "[PAD]"},
        "prompt": {"template": PROMPT},
        "generation": {"strategy": "greedy", "maxNewTokens": MAX_NEW_TOKENS, "stop": ["\n"]},
        "files": {f: sha256(os.path.join(folder, f)) for f in sorted(files)},
    }


def save_checkpoints() -> None:
    """The PyTorch weights behind the bundles, for `npm run bench`'s naive PyTorch loop (same weights)."""
    out = os.path.join(os.path.dirname(FIXTURES), "modelzoo", "checkpoints")
    os.makedirs(out, exist_ok=True)
    for name in ("clip", "mae", "lm", "qformer", "xformer"):
        shutil.copyfile(os.path.join(WORK, f"{name}.pt"), os.path.join(out, f"{name}.pt"))
    shutil.copyfile(os.path.join(WORK, "tokenizer.json"), os.path.join(out, "tokenizer.json"))


def export_bundles(root: str = FIXTURES) -> None:
    save_checkpoints()
    shared = os.path.join(WORK, "onnx-shared")
    os.makedirs(shared, exist_ok=True)
    pipes = {kind: load_parts(kind) for kind in ("clip", "clip+mae")}
    base = pipes["clip"]
    # frozen parts are exported once and copied, so both bundles hold byte-identical files
    export_encoder(base.clip.visual, os.path.join(shared, "clip_encoder.onnx"))
    export_encoder(base.mae.encoder, os.path.join(shared, "mae_encoder.onnx"))
    export_lm(base.lm, os.path.join(shared, "lm_embed.onnx"), os.path.join(shared, "lm_decoder.onnx"))
    for kind, name in (("clip", "xf-tiny-clip"), ("clip+mae", "xf-tiny-xformer")):
        pipe = pipes[kind]
        folder = os.path.join(root, "models", name)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        files = ["clip_encoder.onnx", "lm_embed.onnx", "lm_decoder.onnx", "tokenizer.json", "fusion.onnx"]
        if kind == "clip+mae":
            files.append("mae_encoder.onnx")
        for f in files:
            if f not in ("tokenizer.json", "fusion.onnx"):
                shutil.copyfile(os.path.join(shared, f), os.path.join(folder, f))
        shutil.copyfile(os.path.join(WORK, "tokenizer.json"), os.path.join(folder, "tokenizer.json"))
        export_fusion(pipe.fusion, os.path.join(folder, "fusion.onnx"))
        written = manifest(name, kind, pipe.lm, pipe.fusion.n_queries, files, folder)
        check_manifest(written)
        with open(os.path.join(folder, "xfbench.json"), "w") as f:
            json.dump(written, f, indent=2)
            f.write("\n")
        write_parity(pipe, os.path.join(root, "references", name), os.path.join(root, "gqa-mini"))


def write_parity(pipe: Pipeline, out: str, gqa_root: str, n: int = 6) -> None:
    """Visual tokens, first-step logits and greedy answers for a few gqa-mini questions."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(gqa_root, "testdev_balanced_questions.json")) as f:
        records = json.load(f)
    cases = []
    for qid in sorted(records)[:: max(1, len(records) // n)][:n]:
        r = records[qid]
        prefix = pipe.visual_tokens(load_image(os.path.join(gqa_root, "images", f"{r['imageId']}.png")))
        answer, first = pipe.generate(prefix, r["question"])
        cases.append({"questionId": qid, "imageId": r["imageId"], "question": r["question"],
                      "promptIds": pipe.tok.encode(PROMPT.format(question=r["question"])),
                      "answer": answer, "visualTokens": np.round(prefix[0].numpy().astype(np.float64), 7).tolist(),
                      "firstLogits": np.round(first.numpy().astype(np.float64), 6).tolist()})
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump({"bundle": os.path.basename(out), "cases": cases}, f)
        f.write("\n")


def write_photo_references(root: str = FIXTURES) -> None:
    """Real-size JPEGs (640x480, photograph-like) and the tensors PIL's preprocessing gives for them."""
    out = os.path.join(root, "references", "preprocess")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(77)
    scenes, images = make_scenes(4242, 3, "p")
    meta = []
    for k, (img, size) in enumerate(zip(images, [(640, 480), (480, 640), (500, 375)])):
        big = np.asarray(Image.fromarray(img).resize(size, Image.BILINEAR)).astype(np.float32)
        yy, xx = np.mgrid[0:size[1], 0:size[0]]
        big += 20 * np.sin(xx / 37.0)[..., None] + rng.normal(0, 6, big.shape)  # lighting and sensor noise
        photo = Image.fromarray(np.clip(big, 0, 255).astype(np.uint8))
        name = f"photo{k + 1}.jpg"
        photo.save(os.path.join(out, name), quality=90)
        decoded = load_image(os.path.join(out, name))
        entry = {"file": name, "width": size[0], "height": size[1], "encoders": {}}
        for enc in ("clip", "mae"):
            resized = np.asarray(Image.fromarray(decoded).resize((IMG, IMG), Image.BICUBIC))
            tensor = normalise(resized[None], enc)[0]
            tensor.astype("<f4").tofile(os.path.join(out, f"photo{k + 1}.{enc}.f32"))
            entry["encoders"][enc] = {"tensor": f"photo{k + 1}.{enc}.f32", "shape": list(tensor.shape),
                                      "resize": "bicubic", **NORMALISE[enc]}
        meta.append(entry)
    with open(os.path.join(out, "references.json"), "w") as f:
        json.dump({"produced_by": "PIL " + Image.__version__ + " resize + float32 normalisation", "images": meta}, f, indent=1)
        f.write("\n")
