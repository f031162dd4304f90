"""The Python side of scripts/bench-hf.sh; each mode prints one JSON line.

  make DIR LAYERS            a random Llama-shaped folder (width 2048, 16 heads, 8 kv heads,
                             intermediate 5504, vocab 32000; LAYERS 20 is 1.07B parameters), float32
  load DIR                   seconds for transformers' AutoModelForCausalLM.from_pretrained (float32)
  tokenize TOKENIZER TEXT    seconds and MB/s for tokenizers' Tokenizer.encode on one thread
  step DIR BATCH STEPS [RANK]  median seconds per AdamW step of the folder's model in PyTorch eager,
                             one thread, random tokens [BATCH, max_position_embeddings], and the
                             process's peak RSS; with RANK, peft LoRA adapters of that rank
                             (lora_alpha 2 RANK) on every projection
"""
import json
import os
import sys
import time

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main():
    mode = sys.argv[1]
    import torch
    if mode == "make":
        import transformers
        out, layers = sys.argv[2], int(sys.argv[3])
        config = transformers.LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5504,
                                          num_hidden_layers=layers, num_attention_heads=16, num_key_value_heads=8,
                                          max_position_embeddings=2048, tie_word_embeddings=False)
        torch.manual_seed(0)
        model = transformers.LlamaForCausalLM(config)
        model.save_pretrained(out, max_shard_size="20GB")
        print(json.dumps({"parameters": sum(p.numel() for p in model.parameters())}))
    elif mode == "load":
        import transformers
        t0 = time.perf_counter()
        model = transformers.AutoModelForCausalLM.from_pretrained(sys.argv[2], dtype=torch.float32)
        print(json.dumps({"seconds": time.perf_counter() - t0, "parameters": sum(p.numel() for p in model.parameters())}))
    elif mode == "tokenize":
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(sys.argv[2])
        text = open(sys.argv[3], encoding="utf-8").read()
        size = len(text.encode("utf-8"))
        t0 = time.perf_counter()
        ids = tok.encode(text, add_special_tokens=False).ids
        s = time.perf_counter() - t0
        print(json.dumps({"seconds": s, "mb_per_s": size / 1e6 / s, "tokens": len(ids)}))
    elif mode == "step":
        import transformers
        torch.set_num_threads(1)
        folder, batch, steps = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        model = transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).train()
        seq, vocab = model.config.max_position_embeddings, model.config.vocab_size
        if len(sys.argv) > 5:
            import peft
            rank = int(sys.argv[5])
            model = peft.get_peft_model(model, peft.LoraConfig(
                r=rank, lora_alpha=2 * rank, lora_dropout=0.0,
                target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])).train()
        torch.manual_seed(0)
        tokens = torch.randint(0, vocab, (batch, seq + 1))
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        times = []
        for s in range(steps + 3):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            logits = model(tokens[:, :-1]).logits
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), tokens[:, 1:].reshape(-1))
            loss.backward()
            opt.step()
            if s >= 3:
                times.append(time.perf_counter() - t0)
        times.sort()
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"step_s": times[len(times) // 2], "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
