"""The layers stay clean: the engine needs neither textual nor torch, the command line no torch."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after_import(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.split(".")[0] for name in result.stdout.split()}


@pytest.mark.parametrize(
    "module", ["storyteller.engine", "storyteller.app", "storyteller.cli", "training.cli", "training.flags"]
)
def test_no_torch_on_the_inference_path(module: str) -> None:
    assert "torch" not in _modules_after_import(module)


def test_a_writing_session_needs_neither_textual_nor_torch() -> None:
    loaded = _modules_after_import("storyteller.session")
    assert "textual" not in loaded
    assert "torch" not in loaded


def test_the_engine_does_not_need_the_app_framework() -> None:
    loaded = _modules_after_import("storyteller.engine")
    assert "textual" not in loaded
    assert "torch" not in loaded
    assert "onnx" not in loaded  # the runtime reads models with onnxruntime alone
