"""Generates chat records for bench-chat-data: a JSON Lines file of
{"messages": [...]} (a system turn in half of them, 1-4 user/assistant
exchanges of corpus sentences), from a fixed seed, until it holds MEGABYTES.

Usage: make_chats.py MEGABYTES OUT   (plain python3)
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
    rng = random.Random(9)
    say = lambda lo, hi: " ".join(rng.choice(sentences) for _ in range(rng.randint(lo, hi)))
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        while n < size:
            chat = [{"role": "system", "content": say(1, 2)}] if rng.random() < 0.5 else []
            for _ in range(rng.randint(1, 4)):
                chat += [{"role": "user", "content": say(1, 4)}, {"role": "assistant", "content": say(1, 8)}]
            line = json.dumps({"messages": chat}, ensure_ascii=False) + "\n"
            f.write(line)
            n += len(line.encode("utf-8"))


if __name__ == "__main__":
    main()
