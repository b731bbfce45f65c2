"""Builds the splits: in-memory training data and the committed mini benchmarks in official layouts."""
from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .questions import (PLURAL, Question, caption, counting_question, describe, identification_question,
                        scene_questions)
from .scenes import SHAPES, Scene, render, sample_scene

PROMPT = "Question: {question} Short answer:"


@dataclass
class Split:
    scenes: list[Scene]
    images: np.ndarray  # [N, H, W, 3] uint8
    qa: list[tuple[int, str, str, str]]  # (image index, question, answer as the LM says it, kind)


def make_scenes(seed: int, n: int, prefix: str, avoid: frozenset[str] = frozenset()) -> tuple[list[Scene], np.ndarray]:
    """n scenes from the seed; a scene whose image's hash is in `avoid` is drawn again."""
    rng = np.random.default_rng(seed)
    scenes = [sample_unseen_scene(rng, f"{prefix}{i:05d}", avoid) for i in range(n)]
    return scenes, np.stack([render(s) for s in scenes])


def image_hash(image: np.ndarray) -> str:
    """The identity of an image: its pixels (the generator can draw one scene twice from two seeds)."""
    return hashlib.sha256(np.ascontiguousarray(image, dtype=np.uint8).tobytes()).hexdigest()


def sample_unseen_scene(rng: np.random.Generator, image_id: str, avoid: frozenset[str]) -> Scene:
    while True:
        scene = sample_scene(rng, image_id)
        if not avoid or image_hash(render(scene)) not in avoid:
            return scene


def training_scenes() -> tuple[list[Scene], np.ndarray]:
    from .config import CONFIG
    return make_scenes(CONFIG["seed"] + 1, CONFIG["train_images"], "t")


@functools.lru_cache(maxsize=1)
def training_image_hashes() -> frozenset[str]:
    """Every training image's hash: no evaluation image may equal one (single-object scenes repeat
    across seeds: about 1% of the evaluation images did before this was checked)."""
    return frozenset(image_hash(im) for im in training_scenes()[1])


def lm_answer(answer: str) -> str:
    """What the LM is trained to say: the benchmark answer, lowercased, without a trailing period."""
    return answer.strip().lower().rstrip(".")


def gqa_questions(scenes: list[Scene], seed: int, first_qid: int, per_image: int):
    """GQA-layout records keyed by question id, with `entailed` links between linked questions.

    As GQA's own balancing does, answers are smoothed per question type: questions whose answer is
    over-represented within their `types.detailed` are kept in the file but flagged `isBalanced: false`,
    so a guesser that ignores the image gains little from answer priors. Only balanced questions
    are returned for training."""
    rng = np.random.default_rng(seed)
    per_scene = [scene_questions(scene, rng, per_image) for scene in scenes]
    unbalanced = answer_surplus([q for qs in per_scene for q in qs], rng)
    records: dict[str, dict] = {}
    qa: list[tuple[int, str, str, str]] = []
    qid = first_qid
    for idx, (scene, qs) in enumerate(zip(scenes, per_scene)):
        ids = [str(qid + k) for k in range(len(qs))]
        qid += len(qs)
        by_link: dict[str, list[str]] = {}
        for q, i in zip(qs, ids):
            if q.link:
                by_link.setdefault(q.link, []).append(i)
        for q, i in zip(qs, ids):
            q.balanced = id(q) not in unbalanced
            records[i] = gqa_record(scene, q, i, [e for e in by_link.get(q.link, []) if e != i] if q.link else [])
            if q.balanced:
                qa.append((idx, q.question, lm_answer(q.answer), q.detailed))
        # GQA's unbalanced extras: a redundant copy of a question, flagged isBalanced false
        if qs and rng.random() < 0.15:
            extra = str(qid)
            qid += 1
            rec = gqa_record(scene, qs[0], extra, [])
            rec["isBalanced"] = False
            records[extra] = rec
    return records, qa


def answer_surplus(questions: list[Question], rng, slack: float = 1.15) -> set[int]:
    """ids (Python id()) of the questions to flag unbalanced: within each detailed type, every answer
    is capped at `slack` times the count of the rarest answer (answers under 2% of the type ignored)."""
    by_type: dict[str, dict[str, list[Question]]] = {}
    for q in questions:
        by_type.setdefault(q.detailed, {}).setdefault(q.answer, []).append(q)
    surplus: set[int] = set()
    for answers in by_type.values():
        total = sum(len(v) for v in answers.values())
        counts = [len(v) for v in answers.values() if len(v) >= 0.02 * total]
        if len(counts) < 2:
            continue
        cap = int(np.ceil(slack * min(counts)))
        for answer in sorted(answers):
            group = answers[answer]
            if len(group) > cap:
                drop = rng.choice(len(group), size=len(group) - cap, replace=False)
                surplus.update(id(group[int(k)]) for k in drop)
    return surplus


def gqa_record(scene: Scene, q: Question, qid: str, entailed: list[str]) -> dict:
    words = q.question.rstrip("?").split()
    annotations: dict[str, dict] = {"answer": {}, "question": {}, "fullAnswer": {}}
    for oid in q.focus:
        shape = next(o.shape for o in scene.objects if o.oid == oid)
        for wi, w in enumerate(words):
            if w == shape and str(wi) not in annotations["question"]:
                annotations["question"][str(wi)] = oid
                break
    semantic_str = "->".join(
        f"{s['operation']}: {s['argument']}" + (f" [{', '.join(map(str, s['dependencies']))}]" if s["dependencies"] else "")
        for s in q.program)
    return {
        "semantic": q.program,
        "entailed": entailed,
        "equivalent": [qid],
        "question": q.question,
        "imageId": scene.image_id,
        "isBalanced": q.balanced,
        "groups": {"global": q.global_group, "local": q.local_group},
        "answer": q.answer,
        "semanticStr": semantic_str,
        "annotations": annotations,
        "types": {"structural": q.structural, "semantic": q.semantic, "detailed": q.detailed},
        "fullAnswer": q.full_answer,
    }


def perception_questions(scenes: list[Scene], seed: int):
    """GVTBench-style counting and identification questions, one of each per scene."""
    rng = np.random.default_rng(seed)
    oc, mci = [], []
    for idx, scene in enumerate(scenes):
        present = sorted({o.shape for o in scene.objects})
        shape = str(rng.choice(present)) if present and rng.random() < 0.9 else str(rng.choice(SHAPES))
        q, a = counting_question(scene, shape)
        oc.append((idx, q, a))
        q, a = identification_question(scene, rng)
        mci.append((idx, q, a))
    return oc, mci


def vqa_questions(scenes: list[Scene], seed: int):
    """VQAv2-style questions (yes/no, number, other) with ten noisy human answers each."""
    rng = np.random.default_rng(seed)
    out = []
    for idx, scene in enumerate(scenes):
        if not scene.objects:
            continue
        o = scene.objects[int(rng.integers(len(scene.objects)))]
        kind = int(rng.integers(3))
        if kind == 0:
            q, a, at, qt = f"What color is the {o.shape}?" if sum(x.shape == o.shape for x in scene.objects) == 1 \
                else "What color is the background?", None, "other", "what color is the"
            a = o.color if "background" not in q else scene.background
        elif kind == 1:
            shape = o.shape
            q, a, at, qt = f"How many {PLURAL[shape]} are there?", str(sum(x.shape == shape for x in scene.objects)), \
                "number", "how many"
        else:
            q, a, at, qt = f"Is there a {o.color} {o.shape}?", "yes", "yes/no", "is there a"
            if rng.random() < 0.5:
                c = str(rng.choice(["red", "green", "blue", "yellow", "purple", "cyan"]))
                exists = any(x.color == c and x.shape == o.shape for x in scene.objects)
                q, a = f"Is there a {c} {o.shape}?", "yes" if exists else "no"
        out.append((idx, q, a, at, qt))
    return out


def save_images(images: np.ndarray, paths: list[str]) -> None:
    for img, path in zip(images, paths):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(img).save(path, format="PNG", optimize=True)


def write_json(path: str, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def training_texts(split: Split) -> list[str]:
    """LM pre-training text: the full scene description, then the prompt and the answer."""
    return [f"{describe(split.scenes[i])} {PROMPT.format(question=q)} {a}" for i, q, a, _k in split.qa]


def captions(split: Split, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [caption(s, rng) for s in split.scenes]
