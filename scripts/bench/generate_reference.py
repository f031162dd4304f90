"""transformers' generate on the prompts saturn generate was given, timed for
scripts/bench-generate.sh.

Usage: generate_reference.py MODEL_DIR PROMPTS_FILE NEW_TOKENS OUT_JSONL

One thread. The prompts (one per line) are one batch, left-padded, their
ids the tokenizer's without special tokens (as saturn's); greedy
(do_sample=False), stopping at the tokenizer's end-of-text token. Writes
each prompt's new ids (to its stop id) to OUT_JSONL and prints one JSON
line: the seconds of generate() alone, the new tokens, and the seconds from
the start of this script (import and load included).
"""
import time

START = time.perf_counter()
import json  # noqa: E402
import sys  # noqa: E402

import torch  # noqa: E402
import transformers  # noqa: E402


def main():
    folder, prompts, new, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(1)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder).eval()
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    eos = tok.convert_tokens_to_ids(tok.eos_token)
    texts = [l.rstrip("\n") for l in open(prompts) if l.strip()]
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    t0 = time.perf_counter()
    with torch.no_grad():
        ids = model.generate(**enc, do_sample=False, max_new_tokens=new, eos_token_id=eos, pad_token_id=eos)
    seconds = time.perf_counter() - t0
    rows = []
    for row in ids[:, enc.input_ids.shape[1]:].tolist():
        rows.append(row[: row.index(eos) + 1] if eos in row else row)
    with open(out, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(json.dumps({"seconds": seconds, "tokens": sum(len(r) for r in rows), "wall": time.perf_counter() - START}))


if __name__ == "__main__":
    main()
