"""xfbench's converter: a Hugging Face BLIP-2 checkpoint folder (save_pretrained layout) to an xfbench bundle.

It exports transformers' own modules with torch.onnx, split into the graphs an xfbench bundle holds
(vision encoder, fusion = Q-Former + projection, LM embeddings, LM decoder with a key/value cache), so
what xfbench runs is what the checkpoint computes. `xfbench convert` starts it; see docs/convert.md.
"""
