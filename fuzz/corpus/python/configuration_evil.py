"""Configuration for a test model (fixture; never imported)."""
from transformers import PretrainedConfig


class EvilConfig(PretrainedConfig):
    model_type = "evil"

    def __init__(self, hidden_size=64, **kwargs):
        self.hidden_size = hidden_size
        super().__init__(**kwargs)
