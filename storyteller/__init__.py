"""storyteller: a terminal story writer driven by a word-level LSTM language model."""

__version__ = "0.1.0"
