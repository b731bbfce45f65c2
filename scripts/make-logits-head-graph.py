"""Writes assets/logits-head.onnx: what a decoding strategy needs of a decoder's logits, not the whole vocabulary.

For each row of logits [batch, positions, vocabulary], at its last position:
- top_logits, top_ids [batch, k]: the k largest logits, largest first, and of equal ones the lower id
  first (ONNX TopK's rule, and torch.topk's on the CPU);
- log_norm [batch]: log(sum(exp(logit - max))) over the whole vocabulary, in float32 as torch's
  log_softmax computes it on the CPU (beam-search.ts: a token's log-probability is then
  (logit - max) - log_norm, in float32). Summed in float64 instead (as xfbench's JavaScript did before),
  it took 2.4x as long for the same answers.

xfbench runs it after each decoder call on the model's provider (core/language/logits-head.ts), so the
log-softmax over 50,272 logits per beam and step runs in onnxruntime, not in a JavaScript loop.
Run once with Debian's python3-onnx: /usr/bin/python3 scripts/make-logits-head-graph.py
"""
import os

import onnx
from onnx import TensorProto, helper

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets", "logits-head.onnx")

logits = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "positions", "vocabulary"])
k = helper.make_tensor_value_info("k", TensorProto.INT64, [1])
outputs = [helper.make_tensor_value_info("top_logits", TensorProto.FLOAT, ["batch", "k"]),
           helper.make_tensor_value_info("top_ids", TensorProto.INT64, ["batch", "k"]),
           helper.make_tensor_value_info("log_norm", TensorProto.FLOAT, ["batch"])]
last_index = helper.make_tensor("last_index", TensorProto.INT64, [], [-1])
vocabulary_axis = helper.make_tensor("vocabulary_axis", TensorProto.INT64, [1], [-1])
nodes = [
    helper.make_node("Gather", ["logits", "last_index"], ["last"], axis=1),  # [batch, vocabulary]
    helper.make_node("TopK", ["last", "k"], ["top_logits", "top_ids"], axis=-1, largest=1, sorted=1),
    helper.make_node("ReduceMax", ["last"], ["max"], axes=[-1], keepdims=1),
    helper.make_node("Sub", ["last", "max"], ["shifted"]),
    helper.make_node("Exp", ["shifted"], ["exps"]),
    helper.make_node("ReduceSum", ["exps", "vocabulary_axis"], ["sums"], keepdims=0),
    helper.make_node("Log", ["sums"], ["log_norm"]),
]
graph = helper.make_graph(nodes, "logits_head", [logits, k], outputs, initializer=[last_index, vocabulary_axis])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="xfbench")
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, OUT)
print(f"wrote {OUT}")
