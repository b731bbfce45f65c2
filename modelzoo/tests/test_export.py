"""Randomly initialised models of every kind export to ONNX and run on onnxruntime with PyTorch's outputs."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from xfzoo.export import export_encoder, export_fusion, export_lm, past_names  # noqa: E402
from xfzoo.models import MAE, ComposedWordsLM, FusionModule, TinyLM, ViT  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOL = 1e-4


def node_available() -> bool:
    return shutil.which("node") is not None and os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node"))


def run_ort(graph: str, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    with tempfile.TemporaryDirectory() as tmp:
        req, resp = os.path.join(tmp, "req.json"), os.path.join(tmp, "resp.json")
        payload = {"graph": graph, "inputs": {
            n: {"type": "int64" if t.dtype == torch.long else "float32", "dims": list(t.shape),
                "data": t.flatten().tolist()} for n, t in inputs.items()}}
        with open(req, "w") as f:
            json.dump(payload, f)
        subprocess.run(["node", os.path.join(HERE, "ort_run.mjs"), req, resp], check=True, cwd=ROOT)
        with open(resp) as f:
            out = json.load(f)
    return {n: torch.tensor(v["data"], dtype=torch.float32).reshape(v["dims"]) for n, v in out.items()}


# Outside CI the test is skipped without node_modules; in CI (CI=true) a missing runtime is a failure.
@unittest.skipUnless(node_available() or os.environ.get("CI"), "needs node and `npm ci` (onnxruntime-node) at the repository root")
class ExportParity(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def assertClose(self, a: torch.Tensor, b: torch.Tensor):
        self.assertEqual(tuple(a.shape), tuple(b.shape))
        self.assertLessEqual(float((a - b).abs().max()), TOL)

    def test_vision_encoders(self):
        for name, vit in (("clip", ViT()), ("mae", MAE().encoder)):
            path = os.path.join(self.tmp, f"{name}.onnx")
            export_encoder(vit.eval(), path)
            x = torch.randn(2, 3, 64, 64)  # batch 2: the exported batch axis is dynamic
            with torch.no_grad():
                expected = vit(x)
            self.assertClose(run_ort(path, {"pixel_values": x})["image_features"], expected)

    def test_fusion_modules(self):
        for dual in (False, True):
            fusion = FusionModule(50, dual).eval()
            path = os.path.join(self.tmp, f"fusion{int(dual)}.onnx")
            export_fusion(fusion, path)
            clip_f, mae_f = torch.randn(2, 65, 64), torch.randn(2, 65, 64)
            with torch.no_grad():
                expected = fusion.visual_tokens(clip_f, mae_f if dual else None)
            feeds = {"clip_features": clip_f, **({"mae_features": mae_f} if dual else {})}
            self.assertClose(run_ort(path, feeds)["visual_tokens"], expected)

    def test_language_model_with_cache(self):
        lm = TinyLM(50).eval()
        embed_path, dec_path = os.path.join(self.tmp, "embed.onnx"), os.path.join(self.tmp, "dec.onnx")
        export_lm(lm, embed_path, dec_path)
        ids = torch.tensor([[3, 7, 9, 11]])
        with torch.no_grad():
            emb = lm.embed(ids)
        self.assertClose(run_ort(embed_path, {"input_ids": ids})["inputs_embeds"], emb)
        # prefill from an empty cache, then one cached step: both must equal PyTorch
        dh = lm.dim // lm.heads
        empty = {n: torch.zeros(1, lm.heads, 0, dh) for n in past_names(lm.depth, "past_key_values")}
        out = run_ort(dec_path, {"inputs_embeds": emb, "attention_mask": torch.ones(1, 4, dtype=torch.long),
                                 "position_ids": torch.arange(4)[None], **empty})
        with torch.no_grad():
            logits, present = lm(emb, torch.arange(4)[None], torch.ones(1, 4, dtype=torch.long))
        self.assertClose(out["logits"], logits)
        past = {n: out[p] for n, p in zip(past_names(lm.depth, "past_key_values"), past_names(lm.depth, "present"))}
        step = lm.embed(torch.tensor([[5]]))
        out2 = run_ort(dec_path, {"inputs_embeds": step, "attention_mask": torch.ones(1, 5, dtype=torch.long),
                                  "position_ids": torch.tensor([[4]]), **past})
        with torch.no_grad():
            logits2, _ = lm(step, torch.tensor([[4]]), torch.ones(1, 5, dtype=torch.long), present)
        self.assertClose(out2["logits"], logits2)

    def test_composed_word_vectors_fold_into_a_plain_lm(self):
        """The LM is pre-trained with compound words built from their parts; what is frozen and exported
        is the folded plain TinyLM, which must compute exactly the same thing."""
        parts = torch.zeros(50, 50)
        parts[40, [3, 7, 9]] = 1.0  # word 40 is made of words 3, 7 and 9
        composed = ComposedWordsLM(50, parts).eval()
        plain = composed.folded().eval()
        ids = torch.tensor([[40, 3, 7, 12]])
        with torch.no_grad():
            expected = composed.emb.weight[40] + composed.emb.weight[[3, 7, 9]].sum(0)
            self.assertClose(plain.embed(ids)[0, 0], expected)
            pos, mask = torch.arange(4)[None], torch.ones(1, 4, dtype=torch.long)
            self.assertClose(plain(plain.embed(ids), pos, mask)[0], composed(composed.embed(ids), pos, mask)[0])


if __name__ == "__main__":
    unittest.main()


class ManifestSchema(unittest.TestCase):
    """The committed bundles' manifests pass the schema xfbench publishes (schemas/bundle-manifest.schema.json),
    and a manifest xfbench would refuse does not."""

    def test_committed_bundles_pass(self):
        from xfzoo.shared import check_manifest
        models = os.path.join(ROOT, "fixtures", "models")
        bundles = sorted(os.listdir(models))
        self.assertGreaterEqual(len(bundles), 2)
        for name in bundles:
            with open(os.path.join(models, name, "xfbench.json")) as f:
                check_manifest(json.load(f))

    def test_a_broken_manifest_is_refused_with_its_place(self):
        from xfconvert.manifest_schema import ManifestError
        from xfzoo.shared import check_manifest
        with open(os.path.join(ROOT, "fixtures", "models", "xf-tiny-xformer", "xfbench.json")) as f:
            manifest = json.load(f)
        manifest["fusion"]["numTokens"] = "many"
        with self.assertRaisesRegex(ManifestError, r"^fusion\.numTokens: 'many' is not of type 'integer'"):
            check_manifest(manifest)
        del manifest["fusion"]
        with self.assertRaisesRegex(ManifestError, r"'fusion' is a required property"):
            check_manifest(manifest)
