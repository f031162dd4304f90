"""The pipeline a Python user writes to render, tokenize and pack chat
records with a model's chat template, timed for scripts/bench-chat-data.sh.

Usage: chat_reference.py FILE MODEL_DIR TEMPLATE SEQ_LEN CACHE_DIR IDS_OUT N

`datasets` loads the JSON Lines (or the parquet file: FILE's extension
says), `map` renders and tokenizes each chat with
apply_chat_template(tokenize=True) (the TEMPLATE file; Hugging Face
`tokenizers`, one thread) and appends the end-of-text id, and a second
`map` packs the examples into sequences of SEQ_LEN + 1 ids (run_clm's
group_texts). Writes the first N examples' ids to IDS_OUT (one JSON list per
line) and prints one JSON line: seconds, examples, tokens, samples.
"""
import json
import os
import sys
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["HF_DATASETS_OFFLINE"] = "1"

from itertools import chain  # noqa: E402

import datasets  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402


def main():
    path, model, template, seq, cache, ids_out, n_ids = sys.argv[1:8]
    seq, n_ids = int(seq), int(n_ids)
    datasets.disable_progress_bars()
    datasets.disable_caching()
    start = time.perf_counter()
    cfg = json.load(open(os.path.join(model, "tokenizer_config.json")))
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(model, "tokenizer.json"), eos_token=cfg.get("eos_token"),
                                  bos_token=cfg.get("bos_token"))
    tok.chat_template = open(template, encoding="utf-8").read()
    eot = tok.convert_tokens_to_ids("<|end_of_text|>")
    builder = "parquet" if path.endswith(".parquet") else "json"
    ds = datasets.load_dataset(builder, data_files=path, split="train", cache_dir=cache)

    def tokenize(batch):
        ids = tok.apply_chat_template(batch["messages"], tokenize=True, return_dict=True)["input_ids"]
        return {"input_ids": [x + [eot] for x in ids]}

    ds = ds.map(tokenize, batched=True, remove_columns=ds.column_names)
    block = seq + 1

    def group(batch):
        cat = list(chain(*batch["input_ids"]))
        n = len(cat) // block * block
        return {"input_ids": [cat[i:i + block] for i in range(0, n, block)]}

    packed = ds.map(group, batched=True, batch_size=1000)
    seconds = time.perf_counter() - start
    with open(ids_out, "w") as f:
        for x in ds.select(range(min(n_ids, len(ds))))["input_ids"]:
            f.write(json.dumps(x) + "\n")
    tokens = sum(len(x) for x in ds["input_ids"])
    print(json.dumps({"seconds": seconds, "examples": len(ds), "tokens": tokens, "samples": len(packed)}))


if __name__ == "__main__":
    main()
