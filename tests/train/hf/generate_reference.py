"""Greedy generation references for tests/train/test_generate.cpp, made with
transformers' generate(do_sample=False) on a folder reference.py wrote.

Usage: generate_reference.py FOLDER OUT_JSON ADAPTER_DIR

First adds seeded noise to the folder's weights (reference.py's small
random ones only repeat the last token) and saves them back.

Writes OUT_JSON: {"single": [ids], "batch": [[ids] x 3], "lora_single",
"lora_batch"}: 10 new ids for one prompt and for a batch of three prompts of
different lengths, left-padded (pad id 0, with its attention mask), no
end-of-sequence id (so every row runs to 10); then the same with random
LoRA adapters from PEFT (init_lora_weights=False: A and B both drawn, so
they change the ids), saved to ADAPTER_DIR with save_pretrained.
"""
import json
import sys

import torch
import transformers

SINGLE = [[5, 17, 33, 2, 60, 11]]
BATCH = [[7, 8, 9], [40, 41, 42, 43, 44, 45, 46], [3, 90, 12, 30, 31]]
TARGETS = {"gpt2": ["c_attn", "c_fc"], "default": ["q_proj", "v_proj", "down_proj"]}


def run(model, prompts):
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[0] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=10, min_new_tokens=10,
                             pad_token_id=0, eos_token_id=None)
    return out[:, width:].tolist()


def main():
    folder, out, adapter = sys.argv[1:4]
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()
    # reference.py's small random weights repeat the last token; larger ones make varied text. Saved back.
    torch.manual_seed(3)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    model.save_pretrained(folder)
    model.generation_config.eos_token_id = None
    ref = {"single": run(model, SINGLE)[0], "batch": run(model, BATCH)}
    import peft

    family = model.config.model_type
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=TARGETS.get(family, TARGETS["default"]),
                             init_lora_weights=False, fan_in_fan_out=family == "gpt2")
    torch.manual_seed(5)
    lora = peft.get_peft_model(model, config).eval()
    with torch.no_grad():  # PEFT's B is drawn like A; make both matter
        for name, p in lora.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn_like(p) * 0.2)
    lora.save_pretrained(adapter)
    ref["lora_single"] = run(lora, SINGLE)[0]
    ref["lora_batch"] = run(lora, BATCH)
    json.dump(ref, open(out, "w"))


if __name__ == "__main__":
    main()
