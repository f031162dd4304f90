"""The pipeline a Python user writes to tokenize and pack prompt/completion
JSON Lines for causal-LM fine-tuning, timed for scripts/bench-jsonl.sh.

Usage: jsonl_reference.py FILE TOKENIZER_JSON SEQ_LEN CACHE_DIR

`datasets` loads the file, `map` tokenizes each prompt and prompt +
completion with the fast tokenizer (Hugging Face `tokenizers`, one thread),
masks the prompt's ids and appends the end-of-text id, and a second `map`
packs the examples into sequences of SEQ_LEN + 1 ids (run_clm's group_texts:
concatenated, cut in blocks). Prints one JSON line: seconds, examples,
tokens, samples.
"""
import json
import os
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"          # tokenizers' batch encoding: one thread
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["HF_DATASETS_OFFLINE"] = "1"

from itertools import chain  # noqa: E402

import datasets  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402


def main():
    path, tokenizer, seq, cache = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    datasets.disable_progress_bars()
    datasets.disable_caching()
    start = time.perf_counter()
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer, eos_token="<|end_of_text|>")
    eos = tok.eos_token_id
    ds = datasets.load_dataset("json", data_files=path, split="train", cache_dir=cache)

    def tokenize(batch):
        prompts = tok(batch["prompt"], add_special_tokens=False)["input_ids"]
        whole = tok([p + c for p, c in zip(batch["prompt"], batch["completion"])], add_special_tokens=False)["input_ids"]
        ids = [w + [eos] for w in whole]
        mask = [[0] * len(p) + [1] * (len(w) - len(p) + 1) for p, w in zip(prompts, whole)]
        return {"input_ids": ids, "mask": mask}

    ds = ds.map(tokenize, batched=True, remove_columns=ds.column_names)
    examples = len(ds)
    block = seq + 1

    def group(batch):
        cat = {k: list(chain(*batch[k])) for k in batch}
        n = len(cat["input_ids"]) // block * block
        return {k: [v[i:i + block] for i in range(0, n, block)] for k, v in cat.items()}

    packed = ds.map(group, batched=True, batch_size=1000)
    seconds = time.perf_counter() - start
    tokens = sum(len(x) for x in ds["input_ids"])
    print(json.dumps({"seconds": seconds, "examples": examples, "tokens": tokens, "samples": len(packed)}))


if __name__ == "__main__":
    main()
