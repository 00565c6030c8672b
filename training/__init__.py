"""Training storyteller models with PyTorch and exporting them to ONNX.

The only part of the project that imports torch; importing this package itself does not.
"""
