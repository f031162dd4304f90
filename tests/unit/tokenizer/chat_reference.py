"""Reference chats for saturn's chat formats, made with `transformers`.

Usage: chat_reference.py OUT_DIR

For each format (chatml on a Qwen2-style tokenizer, llama3 on a Llama-3-style
one, both trained here with `tokenizers` on the repository's prose), writes
OUT_DIR/FORMAT/tokenizer.json and tokenizer_config.json (the format's
published Jinja chat template, eos and bos tokens), OUT_DIR/FORMAT/chats.jsonl
(20 multi-turn conversations: optional system turn, Unicode, whitespace at the
ends of messages) and OUT_DIR/FORMAT/expected.jsonl: per chat, the ids
apply_chat_template(tokenize=True) gives and the assistant-token mask it
gives for the same template with {% generation %} around each assistant
message's content and end-of-turn token.
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
CHATML_MASK = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}{% if message['role'] == 'assistant' %}"
               "{% generation %}{{message['content'] + '<|im_end|>'}}{% endgeneration %}{% else %}"
               "{{message['content'] + '<|im_end|>'}}{% endif %}{{'\\n'}}{% endfor %}")
LLAMA3 = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
          "message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
          "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
          "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")
LLAMA3_MASK = ("{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
               "{% if message['role'] == 'assistant' %}{% generation %}{{ message['content'] | trim + '<|eot_id|>' }}"
               "{% endgeneration %}{% else %}{{ message['content'] | trim + '<|eot_id|>' }}{% endif %}{% endfor %}")

FORMATS = {
    "chatml": dict(style="qwen2", template=CHATML, mask=CHATML_MASK, eos="<|endoftext|>", bos=None,
                   special=["<|endoftext|>", "<|im_start|>", "<|im_end|>"]),
    "llama3": dict(style="llama3", template=LLAMA3, mask=LLAMA3_MASK, eos="<|end_of_text|>", bos="<|begin_of_text|>",
                   special=["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
}


def message(rng):
    text = reference.generated(rng, rng.randrange(20, 400))
    return rng.choice(["", " ", "\n", "  "]) + text + rng.choice(["", " ", "\n", "\n\n"])


def chats(rng, n=20):
    out = []
    for _ in range(n):
        c = [{"role": "system", "content": message(rng)}] if rng.random() < 0.5 else []
        for _ in range(rng.randrange(1, 4)):
            c.append({"role": "user", "content": message(rng)})
            c.append({"role": "assistant", "content": message(rng)})
        out.append(c)
    return out


def main():
    out = sys.argv[1]
    rng = random.Random(11)
    text = reference.repository_text()[:400000] + reference.generated(rng, 100000)
    conversations = chats(rng)
    for name, f in FORMATS.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        tok = reference.train(f["style"], text, special=f["special"])
        tok.save(os.path.join(d, "tokenizer.json"))
        config = {"eos_token": f["eos"], "chat_template": f["template"]}
        if f["bos"]:
            config["bos_token"] = f["bos"]
        json.dump(config, open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8"), ensure_ascii=False)
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=f["eos"], bos_token=f["bos"])
        with open(os.path.join(d, "chats.jsonl"), "w", encoding="utf-8") as cf, \
             open(os.path.join(d, "expected.jsonl"), "w", encoding="utf-8") as ef:
            for c in conversations:
                ids = fast.apply_chat_template(c, chat_template=f["template"], tokenize=True, return_dict=True)["input_ids"]
                tagged = fast.apply_chat_template(c, chat_template=f["mask"], tokenize=True, return_dict=True,
                                                  return_assistant_tokens_mask=True)
                assert tagged["input_ids"] == ids, name
                cf.write(json.dumps({"messages": c}, ensure_ascii=False) + "\n")
                ef.write(json.dumps({"ids": ids, "mask": tagged["assistant_masks"]}) + "\n")


if __name__ == "__main__":
    main()
