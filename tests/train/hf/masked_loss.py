"""transformers' loss with labels -100 on untrained tokens, for saturn's test.

Usage: masked_loss.py FOLDER BATCH.json

BATCH.json: {"windows": [[ids of seq_len + 1]...], "mask": [[0/1 ...]...]}:
each window's ids, and whether each id is a trained target. Prints the
loss of the folder's model (float32, eval mode) with labels = the ids where
the mask is 1, else -100 (transformers shifts them: position p predicts
label p + 1).
"""
import json
import sys

import torch
import transformers

folder, path = sys.argv[1:3]
batch = json.load(open(path))
ids = torch.tensor(batch["windows"])
labels = torch.where(torch.tensor(batch["mask"]) == 1, ids, torch.full_like(ids, -100))
model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
with torch.no_grad():
    print(repr(model(input_ids=ids, labels=labels).loss.item()))
