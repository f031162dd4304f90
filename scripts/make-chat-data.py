"""Makes workloads/data/chat.jsonl: chats from the repository's corpus.

Usage: make-chat-data.py [OUT]   (plain python3, no packages)

Each of the corpus's sentences (workloads/data/corpus.txt, split after . ! ? : and at blank lines)
becomes a user turn asking what follows it, and the next sentence the
assistant's answer; every third chat has a system turn and a second
exchange. Deterministic: the same corpus makes the same file.
"""
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "workloads", "data", "chat.jsonl")
    text = open(os.path.join(ROOT, "workloads", "data", "corpus.txt"), encoding="utf-8").read()
    sentences = [" ".join(s.split()) for s in re.split(r"(?<=[.!?:])\s+|\n\s*\n", text)]
    sentences = [s.rstrip(".") for s in sentences if 20 <= len(s) <= 300]
    with open(out, "w", encoding="utf-8") as f:
        for i in range(0, len(sentences) - 3, 2):
            chat = []
            if i % 6 == 0:
                chat.append({"role": "system", "content": "You continue saturn's manual."})
            chat.append({"role": "user", "content": "What comes after: " + sentences[i]})
            chat.append({"role": "assistant", "content": sentences[i + 1] + "."})
            if i % 6 == 0:
                chat.append({"role": "user", "content": "And then?"})
                chat.append({"role": "assistant", "content": sentences[i + 2] + "."})
            f.write(json.dumps({"messages": chat}) + "\n")


if __name__ == "__main__":
    main()
