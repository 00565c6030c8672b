"""Package discovery: every package under storyteller/ and training/ is found, never listed, so a new
subpackage cannot be left out of the wheel. The shipped models live in the top-level models/ folder
and install as ``storyteller.shipped_models`` (see pyproject.toml's package-dir), which discovery
alone cannot express."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["storyteller", "storyteller.*", "training", "training.*"]),
        "storyteller.shipped_models",
    ]
)
