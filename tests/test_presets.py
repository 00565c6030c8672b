"""Presets: one list for the retrain panel and the trainer; `train --preset NAME`, explicit flags win."""

from __future__ import annotations

import argparse

import pytest

from storyteller.engine.presets import PRESETS, preset_for, preset_named
from training.config import TrainConfig
from training.flags import add_arguments, config_from


def parsed(*argv: str) -> TrainConfig:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return config_from(parser.parse_args(["corpus.txt", *argv]))


def test_no_preset_gives_the_trainers_defaults() -> None:
    assert parsed() == TrainConfig()


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_preset_sets_the_network_it_names(name: str) -> None:
    config, preset = parsed("--preset", name), PRESETS[name]
    assert (config.layers, config.units, config.window) == (preset.layers, preset.units, preset.window)
    # Everything else stays the trainer's default.
    assert config == TrainConfig(layers=preset.layers, units=preset.units, window=preset.window)


def test_explicit_flags_win_over_the_preset_whatever_their_order() -> None:
    config = parsed("--units", "64", "--preset", "seed", "--window", "5")
    assert (config.layers, config.units, config.window) == (2, 64, 5)
    assert parsed("--preset", "seed", "--layers", "1").layers == 1


def test_balanced_is_what_its_label_says_the_trainers_defaults() -> None:
    defaults, balanced = TrainConfig(), PRESETS["balanced"]
    assert "the trainer's defaults" in balanced.label
    assert (balanced.layers, balanced.units, balanced.window) == (
        defaults.layers,
        defaults.units,
        defaults.window,
    )
    assert f"{balanced.layers}×{balanced.units}" in balanced.label


def test_an_unknown_preset_is_one_sentence_listing_the_names() -> None:
    with pytest.raises(ValueError) as refused:
        preset_named("huge")
    assert str(refused.value) == "There is no preset 'huge': choose fast, balanced, seed or larger."
    with pytest.raises(ValueError, match="no preset 'huge'"):
        parsed("--preset", "huge")


def test_the_panel_lists_the_trainers_presets() -> None:
    from storyteller.app.screens import retrain

    assert retrain.PRESETS is PRESETS
    assert preset_for(1_000) in PRESETS and preset_for(1_000_000) in PRESETS


def test_python_m_training_takes_the_preset_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "training", str(tmp_path / "none.txt"), "--preset", "huge"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "storyteller: error: There is no preset 'huge': choose fast, balanced, seed or larger."
    )
