"""Generates a JSON Lines file of prompt/completion records for bench-jsonl.

Usage: make_jsonl.py MEGABYTES OUT   (plain python3)

Records draw 1-6 sentences of workloads/data/corpus.txt for the prompt and
1-10 for the completion, from a fixed seed, until the file holds MEGABYTES
(10^6 bytes).
"""
import json
import os
import random
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def main():
    size, out = int(float(sys.argv[1]) * 1e6), sys.argv[2]
    text = open(os.path.join(ROOT, "workloads", "data", "corpus.txt"), encoding="utf-8").read()
    sentences = [" ".join(s.split()) for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
    rng = random.Random(5)
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        while n < size:
            prompt = " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 6)))
            completion = " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 10)))
            line = json.dumps({"prompt": prompt + "\n", "completion": completion}, ensure_ascii=False) + "\n"
            f.write(line)
            n += len(line.encode("utf-8"))


if __name__ == "__main__":
    main()
