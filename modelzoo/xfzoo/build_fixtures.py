"""Writes the committed mini benchmarks: gqa-mini, gvtbench-mini and vqav2-mini, in official layouts."""
from __future__ import annotations

import os
import shutil

from .config import CONFIG, FIXTURES
from .data import (gqa_questions, make_scenes, perception_questions, save_images, training_image_hashes, vqa_questions,
                   write_json)

SEED = CONFIG["seed"]


def gqa_split():
    scenes, images = make_scenes(SEED + 100, CONFIG["test_images"], "n", training_image_hashes())
    records, _ = gqa_questions(scenes, SEED + 101, 20_000_000, CONFIG["test_questions_per_image"])
    return scenes, images, records


def gvt_split(prefix: str, seed: int, n: int):
    scenes, images = make_scenes(seed, n, prefix, training_image_hashes())
    oc, mci = perception_questions(scenes, seed + 1)
    return scenes, images, oc, mci


def vqa_split():
    scenes, images = make_scenes(SEED + 300, 150, "v", training_image_hashes())
    return scenes, images, vqa_questions(scenes, SEED + 301)


def fixture_texts() -> list[str]:
    """Every question text in the fixtures, so the vocabulary covers them."""
    texts = [r["question"] for r in gqa_split()[2].values()]
    for prefix, seed in (("c", SEED + 200), ("r", SEED + 210)):
        _, _, oc, mci = gvt_split(prefix, seed, 10)
        texts += [q for _, q, _ in oc + mci]
    texts += [q for _, q, *_ in vqa_split()[2]]
    return texts


def coco_name(image_id: int) -> str:
    return f"COCO_val2014_{image_id:012d}.png"


def vcr_name(k: int) -> str:
    # VCR ids are relative paths with '/' and '@', as in the released vcr_*.json files
    return f"vcr1images/synthetic_scenes@{k // 50}/{k:05d}.png"


def write_all(root: str = FIXTURES) -> None:
    from .perception_fixtures import write_perception_sets
    write_perception_sets(root, SEED)

    gqa_dir = os.path.join(root, "gqa-mini")
    shutil.rmtree(gqa_dir, ignore_errors=True)
    scenes, images, records = gqa_split()
    save_images(images, [os.path.join(gqa_dir, "images", f"{s.image_id}.png") for s in scenes])
    write_json(os.path.join(gqa_dir, "testdev_balanced_questions.json"), records)
    write_json(os.path.join(gqa_dir, "scene_graphs.json"), {s.image_id: s.to_graph() for s in scenes})

    gvt_dir = os.path.join(root, "gvtbench-mini")
    shutil.rmtree(gvt_dir, ignore_errors=True)
    for src, seed, ids in (("coco", SEED + 200, lambda k: 100000 + 7 * k), ("vcr", SEED + 210, vcr_name)):
        scenes, images, oc, mci = gvt_split(src[0], seed, 200)
        names = [coco_name(ids(k)) if src == "coco" else ids(k) for k in range(len(scenes))]
        save_images(images, [os.path.join(gvt_dir, "images", n) for n in names])
        for task, rows in (("oc", oc), ("mci", mci)):
            write_json(os.path.join(gvt_dir, f"{src}_{task}.json"), [
                {"image_id": ids(i), "text_in": q, "text_out": a, "n_obj_exist": len(scenes[i].objects)}
                for i, q, a in rows])

    vqa_dir = os.path.join(root, "vqav2-mini")
    shutil.rmtree(vqa_dir, ignore_errors=True)
    scenes, images, rows = vqa_split()
    image_ids = [200000 + 3 * k for k in range(len(scenes))]
    save_images(images, [os.path.join(vqa_dir, "val2014", coco_name(i)) for i in image_ids])
    questions, annotations = [], []
    for qn, (i, q, a, atype, qtype) in enumerate(rows):
        qid = image_ids[i] * 10 + qn % 10
        questions.append({"image_id": image_ids[i], "question": q, "question_id": qid})
        # ten annotators: mostly the gold answer, a few writing it differently or disagreeing
        variants = [a] * 7 + [a.capitalize() + ".", a, {"yes": "no", "no": "yes"}.get(a, "two" if a.isdigit() else "gray")]
        annotations.append({"question_id": qid, "image_id": image_ids[i], "question_type": qtype,
                            "answer_type": atype, "multiple_choice_answer": a,
                            "answers": [{"answer": v, "answer_confidence": "yes", "answer_id": k + 1}
                                        for k, v in enumerate(variants)]})
    write_json(os.path.join(vqa_dir, "v2_OpenEnded_mscoco_val2014_questions.json"),
               {"info": {"description": "vqav2-mini: synthetic scenes in the VQAv2 layout"}, "task_type": "Open-Ended",
                "data_type": "mscoco", "data_subtype": "val2014", "license": {}, "questions": questions})
    write_json(os.path.join(vqa_dir, "v2_mscoco_val2014_annotations.json"),
               {"info": {"description": "vqav2-mini"}, "data_type": "mscoco", "data_subtype": "val2014",
                "license": {}, "annotations": annotations})
