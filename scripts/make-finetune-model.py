"""Makes the weights of workloads/finetune/tiny-llama: a small Llama-shaped
Hugging Face model folder for workloads/finetune.yaml, since no pretrained
weights can be downloaded here.

Usage: make-finetune-model.py [OUT_DIR] [--seed N] [--vocab N] [--all] [--chat]

The repository ships the folder's config.json, tokenizer.json and
tokenizer_config.json (enough to validate and plan); this writes its
model.safetensors: a random LlamaForCausalLM of that config built with
`transformers` from the seed. With --all, or when OUT_DIR has no
tokenizer.json, it first makes the rest: a byte-level BPE tokenizer trained
with the `tokenizers` library on the repository's corpus
(workloads/data/corpus.txt) in the Llama-3 style (its pre-tokenizer regex,
ignore_merges, <|begin_of_text|> and <|end_of_text|>) and the config (4
layers, width 128, grouped-query attention, tied embeddings, that
vocabulary). With --chat the tokenizer also has Llama-3's chat tokens
(<|start_header_id|>, <|end_header_id|>, <|eot_id|>) and tokenizer_config.json
Llama-3's published chat template (workloads/finetune/tiny-chat is made so).
Needs the test Python (scripts/setup.sh --test: transformers,
tokenizers).
"""
import argparse
import os
import shutil
import tempfile

import torch
import transformers
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_CHAT = ("{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
               "message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
               "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
               "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=os.path.join(ROOT, "workloads", "finetune", "tiny-llama"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vocab", type=int, default=1024)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--chat", action="store_true")
    a = ap.parse_args()
    if a.all or not os.path.exists(os.path.join(a.out, "tokenizer.json")):
        make_config_and_tokenizer(a)
    config = transformers.AutoConfig.from_pretrained(a.out)
    torch.manual_seed(a.seed)
    model = transformers.LlamaForCausalLM(config)
    with tempfile.TemporaryDirectory() as tmp:  # only the weights: the shipped files stay as they are
        model.save_pretrained(tmp)
        shutil.copy(os.path.join(tmp, "model.safetensors"), os.path.join(a.out, "model.safetensors"))
    print(f"{a.out}: llama, {sum(p.numel() for p in model.parameters())} parameters, vocab {config.vocab_size}")


def make_config_and_tokenizer(a):
    text = open(os.path.join(ROOT, "workloads", "data", "corpus.txt"), encoding="utf-8").read()
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    special = ["<|begin_of_text|>", "<|end_of_text|>"]
    if a.chat:
        special += ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    trainer = trainers.BpeTrainer(vocab_size=a.vocab, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([text], trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin_of_text|>",
                                                eos_token="<|end_of_text|>")
    if a.chat:
        fast.chat_template = LLAMA3_CHAT
    config = transformers.LlamaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=128, intermediate_size=352, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-5,
        tie_word_embeddings=True, bos_token_id=tok.token_to_id("<|begin_of_text|>"),
        eos_token_id=tok.token_to_id("<|end_of_text|>"))
    os.makedirs(a.out, exist_ok=True)
    config.save_pretrained(a.out)
    fast.save_pretrained(a.out)


if __name__ == "__main__":
    main()
