"""The models shipped with storyteller, installed as the package ``storyteller.shipped_models``."""
