"""A byte-level BPE tokenizer with DeepSeek-V3's pre-tokenizer, trained on the demo corpus.

Encoding is what llama.cpp does for tokenizer.ggml.pre = "deepseek-v3": split around the special tokens, then the three
"Isolated" regex splits in order, then per piece rank-based BPE (lowest merge rank first, leftmost on ties) over the
GPT-2 byte-to-unicode alphabet.
"""
import collections
import json

import regex

SPECIALS = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜User｜>", "<｜Assistant｜>",
            "<think>", "</think>"]
BOS, EOS, PAD, USER, ASSISTANT, THINK, END_THINK = range(7)
# GGUF token types: 3 CONTROL, 4 USER_DEFINED (R1's think tags are plain added tokens), 1 NORMAL
SPECIAL_TYPES = [3, 3, 3, 3, 3, 4, 4]
N_BYTES = 256

SPLITS = [regex.compile(r"\p{N}{1,3}"),
          regex.compile(r"[一-龥぀-ゟ゠-ヿ]+"),
          regex.compile(r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"
                        r"| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


BYTE_CHARS = bytes_to_unicode()


def pretokenize(text):
    pieces = [text]
    for pattern in SPLITS:
        out = []
        for piece in pieces:
            last = 0
            for m in pattern.finditer(piece):
                if m.start() > last:
                    out.append(piece[last:m.start()])
                if m.end() > m.start():
                    out.append(m.group())
                last = m.end()
            if last < len(piece):
                out.append(piece[last:])
        pieces = out
    return pieces


def to_symbols(piece):
    return tuple(BYTE_CHARS[b] for b in piece.encode("utf-8"))


def train(texts, vocab_size):
    """Learns merges until the vocabulary (specials + 256 bytes + merges) has vocab_size entries."""
    words = collections.Counter()
    for t in texts:
        for p in pretokenize(t):
            words[to_symbols(p)] += 1
    vocab = set(BYTE_CHARS.values())
    word_list = [list(w) for w in words]
    counts = [words[w] for w in words]
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(word_list):
        for a, b in zip(w, w[1:]):
            pairs[(a, b)] += counts[i]
            where[(a, b)].add(i)
    merges = []
    while len(SPECIALS) + N_BYTES + len(merges) < vocab_size and pairs:
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        pair, n = best
        if n < 2:
            break
        merged = pair[0] + pair[1]
        del pairs[pair]
        if merged in vocab:
            continue
        vocab.add(merged)
        merges.append(pair)
        for i in list(where.pop(pair, ())):
            w = word_list[i]
            c = counts[i]
            for a, b in zip(w, w[1:]):
                if (a, b) != pair:
                    pairs[(a, b)] -= c
                    if pairs[(a, b)] <= 0:
                        del pairs[(a, b)]
            j, out = 0, []
            while j < len(w):
                if j + 1 < len(w) and w[j] == pair[0] and w[j + 1] == pair[1]:
                    out.append(merged)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            word_list[i] = out
            for a, b in zip(out, out[1:]):
                pairs[(a, b)] += c
                where[(a, b)].add(i)
    return Tokenizer(merges)


class Tokenizer:
    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.tokens = list(SPECIALS) + [BYTE_CHARS[b] for b in range(256)] + [a + b for a, b in self.merges]
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.cache = {}
        self.special_re = regex.compile("|".join(regex.escape(s) for s in sorted(SPECIALS, key=len, reverse=True)))

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"merges": [a + " " + b for a, b in self.merges]}, f, ensure_ascii=False)

    @staticmethod
    def load(path):
        with open(path, encoding="utf-8") as f:
            return Tokenizer([tuple(m.split(" ")) for m in json.load(f)["merges"]])

    def _bpe(self, piece):
        ids = self.cache.get(piece)
        if ids is not None:
            return ids
        w = list(to_symbols(piece))
        while len(w) > 1:
            best, at = None, -1
            for i in range(len(w) - 1):
                r = self.ranks.get((w[i], w[i + 1]))
                if r is not None and (best is None or r < best):
                    best, at = r, i
            if best is None:
                break
            w[at:at + 2] = [w[at] + w[at + 1]]
        ids = [self.ids[s] for s in w]
        self.cache[piece] = ids
        return ids

    def encode(self, text, parse_special=False):
        """Token ids of text; with parse_special, special-token strings become their ids. No BOS is added."""
        out = []
        chunks = [(False, text)]
        if parse_special:
            chunks, last = [], 0
            for m in self.special_re.finditer(text):
                chunks += [(False, text[last:m.start()]), (True, m.group())]
                last = m.end()
            chunks.append((False, text[last:]))
        for special, chunk in chunks:
            if special:
                out.append(self.ids[chunk])
            elif chunk:
                for p in pretokenize(chunk):
                    out += self._bpe(p)
        return out

    def decode(self, ids):
        inv = {v: k for k, v in BYTE_CHARS.items()}
        buf = bytearray()
        for i in ids:
            if i < len(SPECIALS):
                buf += SPECIALS[i].encode("utf-8")
            else:
                buf += bytes(inv[ch] for ch in self.tokens[i])
        return buf.decode("utf-8", errors="replace")
