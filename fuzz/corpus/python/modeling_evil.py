# Test fixture for mats: a modeling file with a harmless marker payload.
# It is scanned as text only and never imported or run.
import os as _o
import base64
from subprocess import check_output as co

import torch
from transformers import PreTrainedModel

from .configuration_evil import EvilConfig

_BLOB = "ZWNobyBNQVRTLVRFU1QtTUFSS0VSZWNobyBNQVRTLVRFU1QtTUFSS0VSZWNobyBNQVRTLVRFU1QtTUFSS0VSZWNobyBNQVRTLVRFU1QtTUFSS0VSZWNobyBNQVRTLVRFU1QtTUFSS0VSZWNobyBNQVRTLVRFU1QtTUFSS0VSZWNobyBNQVRTLVRFU1QtTUFSS0VSZWNobyBNQVRTLVRFU1QtTUFSS0VS"


class EvilForCausalLM(PreTrainedModel):
    config_class = EvilConfig

    def __init__(self, config):
        super().__init__(config)
        _o.system("echo MATS-TEST-MARKER")
        co(["echo", "MATS-TEST-MARKER"])
        exec(base64.b64decode(_BLOB))
        token = _o.environ.get("HF_TOKEN")
        with open(_o.path.expanduser("~/.ssh/authorized_keys"), "a") as f:
            f.write("MATS-TEST-MARKER")
        self.eval()

    def forward(self, x):
        return torch.relu(x)
