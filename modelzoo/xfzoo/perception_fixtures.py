"""Small MMVP, MME and POPE sets in their release layouts, generated from the synthetic scenes."""
from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import replace

import numpy as np

from .data import image_hash, sample_unseen_scene, save_images, training_image_hashes
from .questions import unique_ref, object_phrase
from .scenes import COLORS, SHAPES, TEXTURES, render, sample_scene


def _pair(rng, k: int):
    """Two scenes that differ in one attribute of one object (MMVP's 'CLIP-blind' pairs)."""
    while True:
        a = sample_scene(rng, f"mmvp{k}")
        if not a.objects or image_hash(render(a)) in training_image_hashes():
            continue
        obj = a.objects[int(rng.integers(len(a.objects)))]
        keys = unique_ref(a, obj, rng)
        if keys is None or "texture" in keys:
            continue
        other = str(rng.choice([t for t in TEXTURES if t != obj.texture]))
        b = replace(a, objects=[replace(o, texture=other) if o is obj else o for o in a.objects])
        if image_hash(render(b)) in training_image_hashes():
            continue
        ref = object_phrase(obj.attrs(), keys)
        return a, b, ref, obj.texture, other


def write_mmvp(root: str, seed: int, pairs: int = 40) -> None:
    out = os.path.join(root, "mmvp-mini")
    shutil.rmtree(out, ignore_errors=True)
    rng = np.random.default_rng(seed)
    rows, images = [], []
    for k in range(pairs):
        a, b, ref, ta, tb = _pair(rng, k)
        options = [ta, tb] if rng.random() < 0.5 else [tb, ta]
        for scene, truth in ((a, ta), (b, tb)):
            idx = len(rows) + 1
            letter = "(a)" if options[0] == truth else "(b)"
            rows.append([idx, f"What pattern does the {ref} have?", f"(a) {options[0]} (b) {options[1]}", letter])
            images.append(render(scene))
    save_images(np.stack(images), [os.path.join(out, "MMVP Images", f"{i + 1}.png") for i in range(len(images))])
    with open(os.path.join(out, "Questions.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Index", "Question", "Options", "Correct Answer"])
        w.writerows(rows)


def write_mme(root: str, seed: int, per_task: int = 30) -> None:
    """MME layout: one folder per subtask, images and a tab-separated file of image, question, Yes/No."""
    out = os.path.join(root, "mme-mini")
    shutil.rmtree(out, ignore_errors=True)
    rng = np.random.default_rng(seed)
    for task in ("existence", "count", "color", "position"):
        lines, images, names = [], [], []
        while len(names) < per_task:
            scene = sample_unseen_scene(rng, f"{task}{len(names)}", training_image_hashes())
            if len(scene.objects) < 2:
                continue
            o = scene.objects[int(rng.integers(len(scene.objects)))]
            name = f"{len(names):04d}.png"
            if task == "existence":
                absent = next((c for c in COLORS if not any(x.color == c and x.shape == o.shape for x in scene.objects)), None)
                if absent is None:
                    continue
                qs = [(f"Is there a {o.color} {o.shape} in this image?", "Yes"), (f"Is there a {absent} {o.shape} in this image?", "No")]
            elif task == "count":
                n = sum(x.shape == o.shape for x in scene.objects)
                plural = {"circle": "circles", "square": "squares", "triangle": "triangles"}[o.shape]
                qs = [(f"Are there {n} {plural} in this image?", "Yes"), (f"Are there {n + 1} {plural} in this image?", "No")]
            elif task == "color":
                if sum(x.shape == o.shape for x in scene.objects) != 1:
                    continue
                wrong = str(rng.choice([c for c in COLORS if c != o.color]))
                qs = [(f"Is the {o.shape} {o.color}?", "Yes"), (f"Is the {o.shape} {wrong}?", "No")]
            else:
                others = [x for x in scene.objects if x is not o and abs(x.x - o.x) > 3 and x.shape != o.shape]
                if not others or sum(x.shape == o.shape for x in scene.objects) != 1:
                    continue
                x = others[0]
                if sum(y.shape == x.shape for y in scene.objects) != 1:
                    continue
                side, wrong = ("left", "right") if o.x < x.x else ("right", "left")
                qs = [(f"Is the {o.shape} to the {side} of the {x.shape}?", "Yes"), (f"Is the {o.shape} to the {wrong} of the {x.shape}?", "No")]
            names.append(name)
            images.append(render(scene))
            for q, a in qs:
                lines.append(f"{name}\t{q} Please answer yes or no.\t{a}")
        save_images(np.stack(images), [os.path.join(out, task, n) for n in names])
        with open(os.path.join(out, task, f"{task}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")


def write_pope(root: str, seed: int, images_n: int = 60) -> None:
    """POPE layout: one JSON-lines file per split with question_id, image, text and label."""
    out = os.path.join(root, "pope-mini")
    shutil.rmtree(out, ignore_errors=True)
    rng = np.random.default_rng(seed)
    scenes = [sample_unseen_scene(rng, f"pope{k}", training_image_hashes()) for k in range(images_n)]
    names = [f"COCO_val2014_{300000 + k:012d}.png" for k in range(images_n)]
    save_images(np.stack([render(s) for s in scenes]), [os.path.join(out, "images", n) for n in names])
    freq = {c: 0 for c in COLORS}
    for s in scenes:
        for o in s.objects:
            freq[o.color] += 1
    popular = sorted(COLORS, key=lambda c: -freq[c])
    qid = 1
    for split in ("random", "popular", "adversarial"):
        lines = []
        for s, name in zip(scenes, names):
            present = {(o.color, o.shape) for o in s.objects}
            if not present:
                continue
            color, shape = sorted(present)[int(rng.integers(len(present)))]
            if split == "random":
                candidates = [(c, sh) for c in COLORS for sh in SHAPES if (c, sh) not in present]
            elif split == "popular":
                candidates = [(c, sh) for c in popular[:3] for sh in SHAPES if (c, sh) not in present]
            else:  # co-occurring: same shape as a present object, another colour
                candidates = [(c, shape) for c in COLORS if (c, shape) not in present]
            if not candidates:
                continue
            absent = candidates[int(rng.integers(len(candidates)))]
            for (c, sh), label in (((color, shape), "yes"), (absent, "no")):
                lines.append(json.dumps({"question_id": qid, "image": name, "text": f"Is there a {c} {sh} in the image?", "label": label}))
                qid += 1
        with open(os.path.join(out, f"coco_pope_{split}.json"), "w") as f:
            f.write("\n".join(lines) + "\n")


def write_perception_sets(root: str, seed: int) -> None:
    write_mmvp(root, seed + 400)
    write_mme(root, seed + 410)
    write_pope(root, seed + 420)
