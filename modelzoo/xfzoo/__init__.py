"""Tiny X-Former model zoo: synthetic scenes, questions in official formats, tiny models, ONNX export."""
