"""The same chats in every record format saturn reads, written by Python's
own libraries (json, csv, pyarrow, datasets), for tests/unit/test_jsonl.cpp.

Usage: formats_reference.py OUT_DIR

Writes OUT_DIR/model/ (a byte-level BPE tokenizer trained here, with
Qwen2.5's chat template from templates/ in tokenizer_config.json), and the
same 40 chats as chats.jsonl (messages of role/content), chats.json (a JSON
array), sharegpt.jsonl and sharegpt.json (conversations of from/value with
human/gpt/system), renamed.jsonl (turns/speaker/text with its own role
names, for fields.roles); and the same 40 prompt/completion pairs as
pairs.jsonl, pairs.json and pairs.csv (csv.writer: quotes, commas, line
breaks and Unicode inside fields); tools.json (one tool definition) and
chats_tools.jsonl (the chats, each with those tools); with pyarrow: chats.parquet,
sharegpt.parquet, shards/train-0000N-of-00003.parquet (the ShareGPT chats
in three row-sharded files, several row groups each), pairs.parquet,
chats.feather (the Arrow IPC file form, LZ4-compressed), bad.parquet (row
2's text null) and bad_binary.parquet (row 2's text bytes that are not
UTF-8); with datasets:
sharegpt_ds/ (Dataset.save_to_disk in two shards: the Arrow IPC stream form)
and dict_ds/ (a DatasetDict's save_to_disk).
"""
import csv
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    out = sys.argv[1]
    rng = random.Random(5)
    model = os.path.join(out, "model")
    os.makedirs(model, exist_ok=True)
    tok = reference.train("qwen2", reference.repository_text()[:200000], special=["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok.save(os.path.join(model, "tokenizer.json"))
    template = open(os.path.join(HERE, "templates", "qwen2.5.jinja"), encoding="utf-8").read()
    json.dump({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "chat_template": template},
              open(os.path.join(model, "tokenizer_config.json"), "w", encoding="utf-8"), ensure_ascii=False)

    def text():
        t = reference.generated(rng, rng.randrange(5, 200))
        return t + rng.choice(["", ', "quoted", and more', "\nline two", " ,;"])

    chats, pairs = [], []
    for _ in range(40):
        c = [{"role": "system", "content": text()}] if rng.random() < 0.4 else []
        for _ in range(rng.randrange(1, 4)):
            c += [{"role": "user", "content": text()}, {"role": "assistant", "content": text()}]
        chats.append(c)
        pairs.append({"prompt": text(), "completion": text()})
    w = lambda name: open(os.path.join(out, name), "w", encoding="utf-8", newline="")
    names = {"user": "human", "assistant": "gpt", "system": "system"}
    with w("chats.jsonl") as f:
        for c in chats:
            f.write(json.dumps({"messages": c}, ensure_ascii=False) + "\n")
    json.dump([{"messages": c} for c in chats], w("chats.json"), ensure_ascii=False, indent=1)
    share = [{"conversations": [{"from": names[m["role"]], "value": m["content"]} for m in c]} for c in chats]
    with w("sharegpt.jsonl") as f:
        for s in share:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
    json.dump(share, w("sharegpt.json"), ensure_ascii=False)
    own = {"user": "customer", "assistant": "agent", "system": "setup"}
    with w("renamed.jsonl") as f:
        for c in chats:
            f.write(json.dumps({"turns": [{"speaker": own[m["role"]], "text": m["content"]} for m in c]}, ensure_ascii=False) + "\n")
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city",
                                                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                               "required": ["city"]}}}]
    json.dump(tools, w("tools.json"))
    with w("chats_tools.jsonl") as f:
        for c in chats:
            f.write(json.dumps({"messages": c, "tools": tools}, ensure_ascii=False) + "\n")
    with w("pairs.jsonl") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    json.dump(pairs, w("pairs.json"), ensure_ascii=False)
    with w("pairs.csv") as f:
        cw = csv.writer(f)
        cw.writerow(["prompt", "completion"])
        for p in pairs:
            cw.writerow([p["prompt"], p["completion"]])

    import pyarrow as pa
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist([{"messages": c} for c in chats]), os.path.join(out, "chats.parquet"))
    pq.write_table(pa.Table.from_pylist(share), os.path.join(out, "sharegpt.parquet"), row_group_size=16)
    os.makedirs(os.path.join(out, "shards"), exist_ok=True)
    for i, (a, b) in enumerate([(0, 13), (13, 29), (29, 40)]):
        pq.write_table(pa.Table.from_pylist(share[a:b]), os.path.join(out, "shards", f"train-{i:05d}-of-00003.parquet"),
                       row_group_size=5)
    pq.write_table(pa.Table.from_pylist(pairs), os.path.join(out, "pairs.parquet"), compression="zstd")
    feather.write_feather(pa.Table.from_pylist([{"messages": c} for c in chats]), os.path.join(out, "chats.feather"),
                          compression="lz4")
    pq.write_table(pa.table({"text": pa.array(["good", None, "also good"], pa.string())}), os.path.join(out, "bad.parquet"))
    pq.write_table(pa.table({"text": pa.array([b"good", b"\xff\xfe"], pa.binary())}), os.path.join(out, "bad_binary.parquet"))

    import datasets

    datasets.disable_progress_bars()
    datasets.Dataset.from_list(share).save_to_disk(os.path.join(out, "sharegpt_ds"), num_shards=2)
    datasets.DatasetDict({"train": datasets.Dataset.from_list(share[:30]), "test": datasets.Dataset.from_list(share[30:])}).save_to_disk(
        os.path.join(out, "dict_ds"))


if __name__ == "__main__":
    main()
