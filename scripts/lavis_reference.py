"""LAVIS's own GQA evaluation code, run on given questions and answers, for the tests of --protocol lavis.

Reads JSON on stdin: {"questions": [text, ...], "answers": [{"pred": text, "gold": text}, ...]}.
Writes JSON: {"prompts": [...], "correct": [0 or 1, ...]}, where
- each prompt is BlipQuestionProcessor(max_words=50).pre_question(question) put into the prompt of
  lavis/projects/blip2/eval/gqa_zeroshot_*_eval.yaml with str.format, as LAVIS's BLIP-2 models do;
- each `correct` is what GQATask._report_metrics (inference_method "generate", as those configs set
  it) counts for one result file holding that one answer (it reports 100 or 0 for a single answer).

LAVIS is salesforce-lavis from PyPI, installed without its dependencies (scripts/install-converter-deps.sh):
importing `lavis` itself loads every model, dataset and processor, so the package folders are entered
without running their __init__.py, and the third-party modules these two files import for other
purposes (video and augmentation libraries) are stood in for when they are absent. The functions
called are LAVIS's, unchanged.
"""
import importlib.util
import json
import os
import sys
import tempfile
import types

PROMPT = "Question: {} Short answer:"  # lavis/projects/blip2/eval/gqa_zeroshot_*_eval.yaml


def enter_packages() -> None:
    spec = importlib.util.find_spec("lavis")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("salesforce-lavis is not installed (bash scripts/install-converter-deps.sh)")
    root = list(spec.submodule_search_locations)[0]
    for name in ["lavis", "lavis.common", "lavis.common.vqa_tools", "lavis.tasks", "lavis.processors",
                 "lavis.datasets", "lavis.datasets.datasets"]:
        module = types.ModuleType(name)
        module.__path__ = [os.path.join(root, *name.split(".")[1:])]
        sys.modules[name] = module
    for name, attrs in {"cv2": {}, "decord": {"VideoReader": object, "bridge": types.SimpleNamespace(set_bridge=lambda name: None)}, "webdataset": {},
                        "timm": {}, "timm.models": {}, "timm.models.hub": {}, "omegaconf": {"OmegaConf": object},
                        "torchvision": {}, "torchvision.transforms": {},
                        "torchvision.transforms.functional": {"InterpolationMode": object}}.items():
        try:
            importlib.import_module(name)
        except ImportError:
            stand_in = types.ModuleType(name)
            stand_in.__dict__.update(attrs)
            sys.modules[name] = stand_in
    # the registry's decorators import the base classes from their packages
    from lavis.processors.base_processor import BaseProcessor
    from lavis.tasks.base_task import BaseTask
    sys.modules["lavis.processors"].BaseProcessor = BaseProcessor
    sys.modules["lavis.tasks"].BaseTask = BaseTask


def main() -> None:
    request = json.load(sys.stdin)
    enter_packages()
    from lavis.common.registry import registry
    from lavis.processors.blip_processors import BlipQuestionProcessor
    from lavis.tasks.vqa import GQATask

    processor = BlipQuestionProcessor(max_words=50)
    prompts = [PROMPT.format(processor.pre_question(q)) for q in request["questions"]]
    task = GQATask(num_beams=5, max_len=10, min_len=1, evaluate=True, num_ans_candidates=128,
                   inference_method="generate", prompt=PROMPT)
    out = tempfile.mkdtemp()
    registry.register_path("output_dir", out)
    correct = []
    for i, a in enumerate(request["answers"]):
        result_file = os.path.join(out, f"result_{i}.json")
        with open(result_file, "w", encoding="utf-8") as f:
            json.dump([{"question_id": i, "pred_ans": a["pred"], "gt_ans": a["gold"]}], f)
        task._report_metrics(result_file, "testdev")
        with open(os.path.join(out, "evaluate.txt"), encoding="utf-8") as f:
            acc = json.loads(f.readlines()[-1])["acc"]
        correct.append(1 if acc == 100 else 0)
    json.dump({"prompts": prompts, "correct": correct}, sys.stdout)


if __name__ == "__main__":
    main()
