"""Reference tokenizers for saturn's tokenizer tests, made with `tokenizers`.

Usage: reference.py OUT_DIR

Writes OUT_DIR/corpus.txt, a >= 1 MB text of the repository's own prose mixed
with generated text in many scripts (Latin with accents, decomposed and
precomposed, Cyrillic, Greek, Arabic, Devanagari, CJK, emoji with skin tones,
ZWJ sequences and flags), digits of every length, contractions in every case,
CRLF and lone CR line ends, tabs, no-break spaces and whitespace runs, and the
special tokens themselves; then, for each style (gpt2: ByteLevel with its
regex; llama3: a Split on Llama-3's regex then ByteLevel, ignore_merges;
qwen2: NFC, Qwen2's regex), a byte-level BPE tokenizer trained on the
corpus with special tokens, saved as OUT_DIR/STYLE/tokenizer.json (gpt2 also
as gpt2-legacy with "a b" merge strings), and the corpus's ids as
`tokenizers` encodes it, OUT_DIR/STYLE/ids.u32 (little-endian uint32).
"""
import json
import os
import random
import sys

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")
SPECIAL = ["<|endoftext|>", "<|begin_of_text|>", "<|im_start|>", "<|im_end|>"]


def repository_text():
    parts = []
    for folder, _, files in sorted(os.walk(ROOT)):
        if any(skip in folder for skip in (".git", "build", "node_modules")):
            continue
        for f in sorted(files):
            if f.endswith((".md", ".txt", ".5", ".1", ".yaml")):
                with open(os.path.join(folder, f), encoding="utf-8", errors="replace") as fh:
                    parts.append(fh.read())
    return "\n\n".join(parts)


WORDS = {
    "latin": ["café", "naïve", "Ærøskøbing", "straße", "ﬁnance", "résumé", "Ångström", "façade", "jalapeño"],
    "decomposed": ["cafe\u0301", "nai\u0308ve", "A\u030angstro\u0308m", "e\u0301te\u0301"],
    "cyrillic": ["Привет", "мир", "Москва", "ёжик", "съешь", "ЩУКА"],
    "greek": ["Καλημέρα", "κόσμε", "Αθήνα", "ψυχή", "ΣΟΦΙΑ"],
    "arabic": ["مرحبا", "بالعالم", "القاهرة", "٣٤٥", "كتاب"],
    "devanagari": ["नमस्ते", "दुनिया", "हिन्दी", "१२३"],
    "cjk": ["你好", "世界", "東京都", "こんにちは", "カタカナ", "한국어", "漢字テスト"],
    "emoji": ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "🏳️‍🌈", "❤️", "🤖", "✨"],
    "contractions": ["don't", "I'M", "we'Ll", "they'RE", "it's", "You'VE", "she'd", "'S", "O'Neil"],
    "symbols": ["(x)", "[1]", "{a: b}", "->", "...", "§4.2", "€5", "$3.50", "#tag", "@user", "a/b\\c", "--", "“quote”"],
}
SPACES = [" ", "  ", "   ", "\t", " \t ", "\u00a0", "\u3000", "\n", "\r\n", "\r", "\n\n", " \n ", "\r\n\r\n", "    "]


def generated(rng, size):
    out, n = [], 0
    kinds = sorted(WORDS)
    while n < size:
        r = rng.random()
        if r < 0.08:
            s = str(rng.randrange(10 ** rng.randrange(1, 12)))
        elif r < 0.12:
            s = rng.choice(SPECIAL)
        else:
            s = rng.choice(WORDS[rng.choice(kinds)])
        out.append(s)
        out.append(rng.choice(SPACES) if rng.random() < 0.4 else " ")
        n += len(s) + 1
    return "".join(out)


def corpus():
    rng = random.Random(7)
    text = repository_text()
    chunks, i = [], 0
    while i < len(text):
        step = rng.randrange(200, 2000)
        chunks.append(text[i:i + step])
        chunks.append(generated(rng, rng.randrange(100, 1500)))
        i += step
    body = "".join(chunks)
    while len(body.encode("utf-8")) < 1_100_000:
        body += generated(rng, 20000)
    return body


def train(style, text, special=SPECIAL):
    tok = Tokenizer(models.BPE(ignore_merges=(style == "llama3")))
    if style == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        if style == "qwen2":
            tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3 if style == "llama3" else QWEN2), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=3000, min_frequency=2, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator([text[i:i + 4096] for i in range(0, len(text), 4096)], trainer)
    tok.add_tokens([AddedToken("<mask>", lstrip=True, rstrip=False, normalized=False)])
    return tok


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    text = corpus().rstrip() + " <mask> x  <mask>!"
    with open(os.path.join(out, "corpus.txt"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    for style in ["gpt2", "llama3", "qwen2"]:
        tok = train(style, text)
        d = os.path.join(out, style)
        os.makedirs(d, exist_ok=True)
        tok.save(os.path.join(d, "tokenizer.json"))
        ids = tok.encode(text, add_special_tokens=False).ids
        with open(os.path.join(d, "ids.u32"), "wb") as f:
            f.write(b"".join(i.to_bytes(4, "little") for i in ids))
        if style == "gpt2":  # the same with merges stored as "a b" strings
            j = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))
            j["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in j["model"]["merges"]]
            legacy = os.path.join(out, "gpt2-legacy")
            os.makedirs(legacy, exist_ok=True)
            json.dump(j, open(os.path.join(legacy, "tokenizer.json"), "w", encoding="utf-8"), ensure_ascii=False)
            with open(os.path.join(legacy, "ids.u32"), "wb") as f:
                f.write(b"".join(i.to_bytes(4, "little") for i in ids))


if __name__ == "__main__":
    main()
