"""The committed mini benchmarks follow the official layouts, are deterministic, and the bundles are intact."""
from __future__ import annotations

import collections
import hashlib
import json
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from xfzoo.build_fixtures import coco_name, gqa_split  # noqa: E402
from xfzoo.config import FIXTURES  # noqa: E402

GQA_FIELDS = {"imageId": str, "question": str, "answer": str, "fullAnswer": str, "isBalanced": bool, "types": dict,
              "groups": dict, "entailed": list, "equivalent": list, "semantic": list, "semanticStr": str,
              "annotations": dict}


def load(*parts):
    with open(os.path.join(FIXTURES, *parts)) as f:
        return json.load(f)


class GqaMini(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.records = load("gqa-mini", "testdev_balanced_questions.json")
        cls.balanced = [r for r in cls.records.values() if r["isBalanced"]]

    def test_every_official_field_with_its_type(self):
        for qid, r in self.records.items():
            self.assertTrue(qid.isdigit())
            for field, kind in GQA_FIELDS.items():
                self.assertIsInstance(r[field], kind, f"{qid}.{field}")
            self.assertEqual(set(r["types"]), {"structural", "semantic", "detailed"})
            self.assertEqual(set(r["groups"]), {"global", "local"})
            self.assertEqual(set(r["annotations"]), {"answer", "question", "fullAnswer"})
            for step in r["semantic"]:
                self.assertEqual(set(step), {"operation", "argument", "dependencies"})

    def test_sizes_and_every_type_with_at_least_50_questions(self):
        images = {r["imageId"] for r in self.records.values()}
        self.assertGreaterEqual(len(images), 150)
        self.assertGreaterEqual(len(self.balanced), 2000)
        structural = collections.Counter(r["types"]["structural"] for r in self.balanced)
        semantic = collections.Counter(r["types"]["semantic"] for r in self.balanced)
        for t in ("verify", "query", "choose", "logical", "compare"):
            self.assertGreaterEqual(structural[t], 50, t)
        for t in ("obj", "attr", "rel", "cat", "global"):
            self.assertGreaterEqual(semantic[t], 50, t)

    def test_images_exist_and_entailed_links_are_real(self):
        for qid, r in self.records.items():
            self.assertTrue(os.path.isfile(os.path.join(FIXTURES, "gqa-mini", "images", f"{r['imageId']}.png")))
            for e in r["entailed"]:
                self.assertIn(e, self.records)
                self.assertEqual(self.records[e]["imageId"], r["imageId"])
        self.assertGreater(sum(bool(r["entailed"]) for r in self.balanced), 500)

    def test_regenerated_from_the_seed_identically(self):
        _, _, records = gqa_split()
        self.assertEqual(json.loads(json.dumps(records)), self.records)


class SceneDescription(unittest.TestCase):
    """The text the LM is pre-trained to read: the background, then one word per 8x8 cell."""

    def test_every_object_in_its_own_cell_and_every_other_cell_empty(self):
        from xfzoo.data import make_scenes
        from xfzoo.questions import cell_word, describe
        scenes, _ = make_scenes(7, 300, "d")
        for scene in scenes:
            words = describe(scene).split(" ")
            self.assertEqual(len(words), 65)
            self.assertEqual(words[0], scene.background)
            cells = words[1:]
            for o in scene.objects:
                self.assertEqual(cells[(o.y // 8) * 8 + o.x // 8], cell_word(o))
            self.assertEqual(sum(w != "empty" for w in cells), len(scene.objects))

    def test_one_word_per_object_names_all_four_attributes(self):
        from xfzoo.scenes import SceneObject
        from xfzoo.questions import cell_word
        self.assertEqual(cell_word(SceneObject("o", "circle", "red", "small", "striped", 5, 5)),
                         "smallredstripedcircle")


class GvtbenchMini(unittest.TestCase):
    def test_records_as_released(self):
        for src in ("coco", "vcr"):
            for task in ("oc", "mci"):
                rows = load("gvtbench-mini", f"{src}_{task}.json")
                self.assertGreaterEqual(len(rows), 100)
                for r in rows:
                    self.assertEqual(set(r), {"image_id", "text_in", "text_out", "n_obj_exist"})
                    self.assertIsInstance(r["image_id"], int if src == "coco" else str)
                    name = coco_name(r["image_id"]) if src == "coco" else r["image_id"]
                    self.assertTrue(os.path.isfile(os.path.join(FIXTURES, "gvtbench-mini", "images", name)), name)
                    if task == "oc":
                        self.assertTrue(r["text_out"].isdigit())
                        self.assertRegex(r["text_in"], r"^How many \w+ are there in the image\?$")
                    else:
                        self.assertIn(r["text_out"], ("Yes.", "No."))
                        self.assertRegex(r["text_in"], r"^Does .+ exist in the image\?$")
        counts = [int(r["text_out"]) for r in load("gvtbench-mini", "coco_oc.json") + load("gvtbench-mini", "vcr_oc.json")]
        self.assertGreaterEqual(max(counts), 8)
        self.assertTrue(any("/" in r["image_id"] and "@" in r["image_id"] for r in load("gvtbench-mini", "vcr_oc.json")))


class Vqav2Mini(unittest.TestCase):
    def test_questions_and_annotations(self):
        qs = load("vqav2-mini", "v2_OpenEnded_mscoco_val2014_questions.json")["questions"]
        anns = {a["question_id"]: a for a in load("vqav2-mini", "v2_mscoco_val2014_annotations.json")["annotations"]}
        self.assertGreaterEqual(len(qs), 100)
        for q in qs:
            a = anns[q["question_id"]]
            self.assertEqual(a["image_id"], q["image_id"])
            self.assertEqual(len(a["answers"]), 10)
            self.assertIn(a["answer_type"], ("yes/no", "number", "other"))
            self.assertTrue(os.path.isfile(os.path.join(FIXTURES, "vqav2-mini", "val2014", coco_name(q["image_id"]))))


class EvaluationImagesUnseenInTraining(unittest.TestCase):
    """No committed evaluation image equals a training image: a scene the models were trained on
    would be scored as if it were new."""

    EVALUATION_SETS = ("gqa-mini", "gvtbench-mini", "vqav2-mini", "okvqa-mini", "mmvp-mini", "mme-mini", "pope-mini")

    def test_no_evaluation_image_is_a_training_image(self):
        from PIL import Image
        from xfzoo.data import image_hash, training_image_hashes
        seen = training_image_hashes()
        for name in self.EVALUATION_SETS:
            files = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(FIXTURES, name)) for f in fs if f.endswith(".png")]
            self.assertGreaterEqual(len(files), 50, name)
            repeated = [os.path.relpath(f, FIXTURES) for f in files
                        if image_hash(np.asarray(Image.open(f).convert("RGB"))) in seen]
            self.assertEqual(repeated, [], f"{name}: images identical to training images")


class Bundles(unittest.TestCase):
    def test_sha256_of_every_file_matches_the_manifest(self):
        for name in ("xf-tiny-clip", "xf-tiny-xformer"):
            folder = os.path.join(FIXTURES, "models", name)
            manifest = load("models", name, "xfbench.json")
            self.assertEqual(manifest["formatVersion"], 1)
            for f, digest in manifest["files"].items():
                with open(os.path.join(folder, f), "rb") as fh:
                    self.assertEqual(hashlib.sha256(fh.read()).hexdigest(), digest, f"{name}/{f}")

    def test_frozen_parts_are_byte_identical_across_bundles(self):
        a = load("models", "xf-tiny-clip", "xfbench.json")["files"]
        b = load("models", "xf-tiny-xformer", "xfbench.json")["files"]
        for f in ("clip_encoder.onnx", "lm_embed.onnx", "lm_decoder.onnx", "tokenizer.json"):
            self.assertEqual(a[f], b[f], f)
        self.assertNotEqual(a["fusion.onnx"], b["fusion.onnx"])
        self.assertEqual(load("models", "xf-tiny-clip", "xfbench.json")["fusionKind"], "clip")
        self.assertEqual(load("models", "xf-tiny-xformer", "xfbench.json")["fusionKind"], "clip+mae")


if __name__ == "__main__":
    unittest.main()
