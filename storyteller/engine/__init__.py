"""The inference core: tokeniser, vocabulary, model loading, prediction and sampling.

Depends on numpy and onnxruntime only; never on textual or torch.
"""

from .corpus import Corpus, CorpusError, CorpusReport, read_corpus, report
from .model import Model, ModelCard, ModelError, load
from .predictor import Candidate, Predictor
from .registry import ModelEntry, data_dir, find_models, resolve, user_models_dir
from .sampling import SamplingConfig
from .tokenizer import PARAGRAPH, UNKNOWN, Detokenizer, TokenizerConfig, detokenize, tokenize
from .vocab import Vocabulary, is_word

__all__ = [
    "PARAGRAPH",
    "UNKNOWN",
    "Candidate",
    "Corpus",
    "CorpusError",
    "CorpusReport",
    "Detokenizer",
    "Model",
    "ModelCard",
    "ModelEntry",
    "ModelError",
    "Predictor",
    "SamplingConfig",
    "TokenizerConfig",
    "Vocabulary",
    "data_dir",
    "detokenize",
    "find_models",
    "is_word",
    "load",
    "read_corpus",
    "report",
    "resolve",
    "tokenize",
    "user_models_dir",
]
