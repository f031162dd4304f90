"""Logits of an exported folder in transformers, for saturn's export test.

Usage: exported_logits.py FOLDER TOKENS OUT

Loads FOLDER with AutoModelForCausalLM.from_pretrained (as a user would),
runs it in float32 on the int64 "tokens" of the safetensors file TOKENS and
writes its logits to OUT ("logits"), with the model's class name in the
metadata.
"""
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file


def main():
    folder, tokens, out = sys.argv[1:4]
    model = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
    ids = load_file(tokens)["tokens"]
    with torch.no_grad():
        logits = model(ids).logits.float().contiguous()
    save_file({"logits": logits}, out, metadata={"class": type(model).__name__, "dtype": str(next(model.parameters()).dtype)})


if __name__ == "__main__":
    main()
