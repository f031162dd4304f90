"""Reference chats for saturn's chat templates, made with `transformers`.

Usage: template_reference.py OUT_DIR

For each real template in templates/ (SOURCES.md says whose), writes
OUT_DIR/NAME/: a byte-level BPE tokenizer trained here with `tokenizers` on
the repository's prose, holding the family's special tokens (and its
non-special added ones), saved as a model folder (tokenizer.json and
tokenizer_config.json; half the folders by transformers' save_pretrained,
which may put the template in chat_template.jinja); chats.jsonl: 36 chats
the template accepts (with and without system turns, one to four exchanges,
Unicode, whitespace at the ends of content, the family's special tokens
written inside content, and tool calls with tools where the template has
them); and expected.jsonl: per chat, the ids apply_chat_template(tokenize=
True) gives and the trained mask by the reference rule: each assistant
message's content (or, for a tool call, from its name through its
arguments) and the first special token after it (the end-of-turn marker);
for a template with {% generation %} blocks, transformers' own
assistant_masks.
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402
from tokenizers import AddedToken  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

DS = {"bos": "<｜begin▁of▁sentence｜>", "eos": "<｜end▁of▁sentence｜>"}
FAMILIES = {
    "qwen2.5": dict(style="qwen2", bos=None, eos="<|im_end|>", pad="<|endoftext|>",
                    special=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                    added=["<tool_call>", "</tool_call>"], system=True, tools=True, save=True),
    "llama3.2": dict(style="llama3", bos="<|begin_of_text|>", eos="<|eot_id|>",
                     special=["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                              "<|eot_id|>", "<|eom_id|>", "<|python_tag|>"], system=True, tools=True, save=False),
    "mistral-v0.3": dict(style="llama3", bos="<s>", eos="</s>", special=["<unk>", "<s>", "</s>", "[INST]", "[/INST]",
                         "[TOOL_CALLS]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]"],
                         system=True, tools=False, save=True),
    "gemma-2": dict(style="gpt2", bos="<bos>", eos="<eos>", pad="<pad>", special=["<pad>", "<eos>", "<bos>", "<unk>"],
                    additional=["<start_of_turn>", "<end_of_turn>"], system=False, tools=False, save=False),
    "phi-3.5": dict(style="llama3", bos="<s>", eos="<|endoftext|>", special=["<unk>", "<s>", "</s>", "<|endoftext|>",
                    "<|assistant|>", "<|end|>", "<|system|>", "<|user|>"], system=True, tools=False, save=True),
    "smollm2": dict(style="gpt2", bos="<|im_start|>", eos="<|im_end|>", special=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                    system=True, tools=False, save=False),
    "deepseek-r1-distill-qwen": dict(style="qwen2", bos=DS["bos"], eos=DS["eos"], special=[DS["bos"], DS["eos"], "<｜User｜>",
                                     "<｜Assistant｜>"], added=["<think>", "</think>"], system=True, tools=False, save=True),
    "chatml": dict(style="gpt2", bos=None, eos="<|endoftext|>", special=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                   system=True, tools=False, save=False),
    "phi-4-mini-generation": dict(style="gpt2", bos=None, eos="<|endoftext|>", special=["<|endoftext|>", "<|system|>",
                                  "<|user|>", "<|assistant|>", "<|end|>", "<|tool|>", "<|/tool|>"], system=True,
                                  tools=False, save=False, generation=True),
}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city, now.",
                                           "parameters": {"type": "object", "properties": {
                                               "city": {"type": "string", "description": "The city's name."},
                                               "unit": {"type": "string", "enum": ["c", "f"]}},
                                               "required": ["city"]}}}]


def text(rng, fam):
    t = reference.generated(rng, rng.randrange(10, 300))
    if rng.random() < 0.15:  # the family's own special tokens, written inside content
        k = rng.randrange(len(t) + 1)
        t = t[:k] + rng.choice(fam["special"] + fam.get("additional", [])) + t[k:]
    return rng.choice(["", "", " ", "\n", "  "]) + t + rng.choice(["", "", " ", "\n", "\n\n"])


def chat(rng, fam, with_tools):
    c = []
    if fam["system"] and rng.random() < 0.5:
        c.append({"role": "system", "content": text(rng, fam)})
    for k in range(rng.randrange(1, 5)):
        c.append({"role": "user", "content": text(rng, fam)})
        if with_tools and k == 0:
            args = {"city": rng.choice(["Paris", "Zürich", "東京"]), "unit": rng.choice(["c", "f"])}
            call = {"type": "function", "function": {"name": "get_weather", "arguments": args}}
            c.append({"role": "assistant", "tool_calls": [call]})
            c.append({"role": "tool", "content": json.dumps({"temperature": rng.randrange(-10, 35)})})
        c.append({"role": "assistant", "content": text(rng, fam)})
    return c


def reference_mask(rendered, messages, offsets, markers):
    spans, cursor = [], 0
    for m in messages:
        if m["role"] != "assistant":  # past its content (a tool's name in the tools' header is not a call)
            c = m.get("content")
            for cand in ((c, c.strip()) if isinstance(c, str) else ()):
                if cand and rendered.find(cand, cursor) >= 0:
                    cursor = rendered.find(cand, cursor) + len(cand)
                    break
            continue
        start = end = None
        c = m.get("content") or ""
        for cand in (c, c.strip()):
            if cand and rendered.find(cand, cursor) >= 0:
                start = rendered.find(cand, cursor)
                end = start + len(cand)
                break
        for call in m.get("tool_calls", []):
            f = call["function"]
            p = rendered.find(f["name"], end if end is not None else cursor)
            start = p if start is None else start
            a = json.dumps(f["arguments"], ensure_ascii=False)
            end = rendered.find(a, p) + len(a)
        assert start is not None, (m, rendered)
        found = [(rendered.find(k, end), -len(k), k) for k in markers if rendered.find(k, end) >= 0]
        if found:
            p, _, k = min(found)
            end = p + len(k)
        spans.append((start, end))
        cursor = end
    return [int(any(a < e and b > s for s, e in spans)) for a, b in offsets]


def main():
    out = sys.argv[1]
    rng = random.Random(23)
    corpus = reference.repository_text()[:300000] + reference.generated(rng, 80000)
    for name, fam in FAMILIES.items():
        template = open(os.path.join(HERE, "templates", name + ".jinja"), encoding="utf-8").read()
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        specials = fam["special"] + fam.get("additional", [])
        tok = reference.train(fam["style"], corpus, special=specials)
        if fam.get("added"):
            tok.add_tokens([AddedToken(t, normalized=False) for t in fam["added"]])
        kw = dict(bos_token=fam["bos"], eos_token=fam["eos"])
        if fam.get("pad"):
            kw["pad_token"] = fam["pad"]
        if fam.get("additional"):
            kw["additional_special_tokens"] = fam["additional"]
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, **kw)
        fast.chat_template = template
        if fam["save"]:
            fast.save_pretrained(d)
        else:
            tok.save(os.path.join(d, "tokenizer.json"))
            config = {k: v for k, v in kw.items() if v is not None}
            config["chat_template"] = template
            json.dump(config, open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8"), ensure_ascii=False)
        markers = fam["special"] + fam.get("additional", [])
        with open(os.path.join(d, "chats.jsonl"), "w", encoding="utf-8") as cf, \
             open(os.path.join(d, "expected.jsonl"), "w", encoding="utf-8") as ef:
            for i in range(36):
                with_tools = fam["tools"] and i % 4 == 3
                c = chat(rng, fam, with_tools)
                tools = TOOLS if with_tools else None
                ids = fast.apply_chat_template(c, tools=tools, tokenize=True, return_dict=True)["input_ids"]
                if fam.get("generation"):
                    mask = fast.apply_chat_template(c, tokenize=True, return_dict=True,
                                                    return_assistant_tokens_mask=True)["assistant_masks"]
                else:
                    rendered = fast.apply_chat_template(c, tools=tools, tokenize=False)
                    enc = fast(rendered, add_special_tokens=False, return_offsets_mapping=True)
                    assert enc["input_ids"] == ids, name
                    mask = reference_mask(rendered, c, enc["offset_mapping"], markers)
                record = {"messages": c}
                if tools:
                    record["tools"] = tools
                cf.write(json.dumps(record, ensure_ascii=False) + "\n")
                ef.write(json.dumps({"ids": ids, "mask": mask}) + "\n")


if __name__ == "__main__":
    main()
