"""Builds the demo model's training data, its tokenizer and the held-out evaluation set.

    python3 build_data.py --countries PATH/TO/countries-list/package --out DIR

PATH is the unpacked npm package countries-list@3.4.1 (`npm pack countries-list@3.4.1`, then `tar xzf`). Writes to DIR:
tokenizer.json (the BPE merges), train.npz (token ids per conversation and where the trained part starts),
eval.jsonl (questions phrased with the EVAL_* templates of phrasings.py, never trained on) and stats.json.
"""
import argparse
import json
import os
import random

import numpy as np

import bpe
import countries as countries_mod
import phrasings as ph

KINDS = ["capital", "continent", "currency", "languages", "country_of_capital", "out_of_domain"]
TRAIN_MIX = {"capital": 0.19, "continent": 0.14, "currency": 0.17, "languages": 0.17, "country_of_capital": 0.18,
             "out_of_domain": 0.15}
REFUSAL = "I only know about the world's countries: their capitals, continents, currencies and languages."
REFUSAL_THINK = ("The question is not about the capital, continent, currency or languages of a country I know. "
                 "I only know about the world's countries.")
CONTINENTS = sorted(set(countries_mod.CONTINENT_NAMES.values()) - {"Antarctica"})
MARK = "\x00"  # stands for the entity while the question is restyled, so typos never touch a name
WIDEN = False
SALAD = False


def reasoning_and_answer(kind, country=None, capital_countries=None):
    """The R1-style reply: (the <think> text, the answer). Both state the facts in the dataset's words."""
    c = country
    if kind == "capital":
        return (f"The user asks for the capital of {c.name}. The capital of {c.name} is {c.capital}.",
                f"The capital of {c.name} is {c.capital}.")
    if kind == "continent":
        return (f"The user asks where {c.name} is. {c.name} is a country in {c.continent}.",
                f"{c.name} is in {c.continent}.")
    if kind == "currency":
        return (f"The user asks about the currency of {c.name}. {c.name} uses the {c.currency} ({c.currency_code}).",
                f"The currency of {c.name} is the {c.currency} ({c.currency_code}).")
    if kind == "languages":
        langs = countries_mod.join_names(c.languages)
        think = f"The user asks about the languages of {c.name}. The main languages of {c.name} are: {', '.join(c.languages)}."
        if len(c.languages) == 1:
            return think, f"The main language of {c.name} is {langs}."
        return think, f"The main languages of {c.name} are {langs}."
    if kind == "country_of_capital":
        cap = capital_countries[0].capital
        names = countries_mod.join_names([x.name for x in capital_countries])
        return (f"The user asks which country has {cap} as its capital. {cap} is the capital of {names}.",
                f"{cap} is the capital of {names}.")
    return REFUSAL_THINK, REFUSAL


def typo(word, rng):
    if len(word) < 3 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:   # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == 1:   # drop a letter
        return word[:i] + word[i + 1:]
    if op == 2:   # double a letter
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioustnrl") + word[i + 1:]  # a wrong letter


def restyle(template_text, entity, style, rng, prefixes, suffixes):
    """Applies one style to a question whose entity is MARK: plain, lower, typo, terse (no final punctuation),
    polite (opener and closer), caps."""
    q = template_text
    if style == "polite":
        p = rng.choice(prefixes)
        if p.endswith("but ") or p.endswith(", "):
            q = q[0].lower() + q[1:] if q[0] != MARK else q
        q = p + q + rng.choice(suffixes)
    elif style == "terse":
        q = q.rstrip("?.!")
    elif style == "typo":
        words = q.split(" ")
        idx = [i for i, w in enumerate(words) if MARK not in w and len(w.strip("?.,!:;'")) >= 4]
        for i in rng.sample(idx, min(len(idx), rng.choice((1, 2, 3) if SALAD and prefixes is ph.TRAIN_PREFIXES else (1, 2)))):
            core = words[i].rstrip("?.,!:;")
            words[i] = typo(core, rng) + words[i][len(core):]
        q = " ".join(words)
    q = q.replace(MARK, entity)
    if style == "lower":
        q = q.lower()
    elif style == "caps":
        q = q.upper()
    return q


TRAIN_STYLES = (["plain"] * 30 + ["lower"] * 22 + ["typo"] * 20 + ["terse"] * 10 + ["polite"] * 15 + ["caps"] * 3)
EVAL_STYLES = ["plain", "lower", "typo", "polite"]


def question(kind, country, capital, template, style, rng, prefixes, suffixes):
    t = template
    entity = ""
    if "{c}" in t:
        entity = country.name
        if country.aliases and rng.random() < 0.15 and prefixes is ph.TRAIN_PREFIXES:
            entity = rng.choice(country.aliases)
        t = t.replace("{c}", MARK)
    elif "{cap}" in t:
        entity = capital
        t = t.replace("{cap}", MARK)
    if "{x}" in t:  # "Is {c} in {x} or in {y}?"
        others = [x for x in CONTINENTS if x != country.continent]
        pair = [country.continent, rng.choice(others)]
        rng.shuffle(pair)
        t = t.replace("{x}", pair[0]).replace("{y}", pair[1])
    return restyle(t, entity, style, rng, prefixes, suffixes)


def made_up_name(rng, known):
    """A name that sounds like a country but is none (so the model learns to refuse names it does not know)."""
    while True:
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        name += rng.choice(["ia", "land", "stan", "ria", "ova", "", "onia", "esh"])
        if name.lower() not in known:
            return name


SYLLABLES = ["ka", "lo", "mer", "za", "tor", "vin", "bel", "dra", "nu", "shi", "ar", "qui", "pol", "ren", "ost",
             "gal", "mo", "tek", "ul", "fa", "sor", "lin", "ber", "cha"]


def ood_fill(template, rng, countries):
    fill = {}
    known = KNOWN_NAMES
    for key in FILLER_KEYS:
        if "{" + key + "}" in template:
            fill[key] = rng.choice(ph.FILLERS[key])
    if "{made_up}" in template:
        fill["made_up"] = made_up_name(rng, known)
    if "{made_up_city}" in template:
        fill["made_up_city"] = made_up_name(rng, known)
    return fill


KNOWN_NAMES = set()


FILLER_KEYS = list(ph.FILLERS)


def ood_question(templates, rng, countries, prefixes, suffixes, styles):
    t = rng.choice(templates)
    c = rng.choice(countries)
    fill = ood_fill(t, rng, countries)
    t = t.replace("{c}", MARK)
    t = t.format(**fill) if fill else t
    return restyle(t, c.name, rng.choice(styles), rng, prefixes, suffixes)


def normalized(template):
    return "".join(ch for ch in template.lower() if ch.isalnum() or ch in "{} ").split()


EVAL_TEMPLATES = set()


def composed_template(kind, rng):
    """A question put together from GEN_* parts, never equal to an evaluation template."""
    while True:
        noun = rng.choice(ph.GEN_NOUN[kind])
        if rng.random() < 0.25:
            t = noun[0].upper() + noun[1:] + rng.choice(["?", "", " ?"])
        else:
            ask = rng.choice(ph.GEN_ASK)
            t = ask[0].upper() + ask[1:] + " " + noun + rng.choice(ph.GEN_TAIL)
        if tuple(normalized(t)) not in EVAL_TEMPLATES:
            return t


def salad(rng):
    """A few everyday words that mean nothing for the question."""
    words = " ".join(rng.choice(ph.COMMON_WORDS) for _ in range(rng.randint(1, 6)))
    return words[0].upper() + words[1:] + rng.choice([",", ".", "!", ":", " -", "", "?", "..."])


def chatter(q, rng):
    """Wraps a question in greetings and small talk, as people write (phase 3 also in word salad)."""
    parts = []
    if not SALAD:  # phase 2
        if rng.random() < 0.6:
            parts.append(rng.choice(ph.GEN_OPEN) + rng.choice([", ", "! ", ". ", " - ", " "]))
        if rng.random() < 0.5:
            parts.append(rng.choice(ph.GEN_CHATTER) + " ")
        parts.append(q)
        if rng.random() < 0.5:
            parts.append(" " + rng.choice(ph.GEN_CLOSE))
        return "".join(parts)
    r = rng.random()
    if r < 0.45:
        parts.append(rng.choice(ph.GEN_OPEN) + rng.choice([", ", "! ", ". ", " - ", " "]))
    elif r < 0.75:
        parts.append(salad(rng) + " ")
    if rng.random() < 0.4:
        parts.append(rng.choice(ph.GEN_CHATTER) + " ")
    parts.append(q)
    r = rng.random()
    if r < 0.4:
        parts.append(" " + rng.choice(ph.GEN_CLOSE))
    elif r < 0.65:
        parts.append(" " + salad(rng))
    return "".join(parts)


def sample_train(rng, countries, capitals):
    kind = rng.choices(KINDS, weights=[TRAIN_MIX[k] for k in KINDS])[0]
    if kind == "out_of_domain":
        templates = ph.TRAIN_OOD_TEMPLATES_WIDE if WIDEN else ph.TRAIN_OOD_TEMPLATES
        q = ood_question(templates, rng, countries, ph.TRAIN_PREFIXES, ph.TRAIN_SUFFIXES, TRAIN_STYLES)
        if WIDEN and rng.random() < 0.4:
            q = chatter(q, rng)
        return kind, q, *reasoning_and_answer(kind)
    c = rng.choice(countries)
    style = rng.choice(TRAIN_STYLES)
    template = rng.choice(ph.TRAIN[kind])
    if WIDEN and rng.random() < 0.5:
        template = composed_template(kind, rng)
    if WIDEN and style == "polite" and rng.random() < 0.7:
        q = chatter(question(kind, c, c.capital, template, "plain", rng, ph.TRAIN_PREFIXES, ph.TRAIN_SUFFIXES), rng)
    else:
        q = question(kind, c, c.capital, template, style, rng, ph.TRAIN_PREFIXES, ph.TRAIN_SUFFIXES)
    if WIDEN and style in (("plain", "lower", "typo") if SALAD else ("plain", "lower")) \
            and rng.random() < (0.5 if SALAD else 0.3):
        q = chatter(q, rng)
        if style == "lower":
            q = q.lower()
    if kind == "country_of_capital":
        return kind, q, *reasoning_and_answer(kind, capital_countries=capitals[c.capital])
    return kind, q, *reasoning_and_answer(kind, c)


def prompt_text(turns, q):
    """What the R1 chat template renders for the earlier turns [(question, answer)] and the new question."""
    s = bpe.SPECIALS[bpe.BOS]
    for uq, ua in turns:
        s += bpe.SPECIALS[bpe.USER] + uq + bpe.SPECIALS[bpe.ASSISTANT] + ua + bpe.SPECIALS[bpe.EOS]
    return s + bpe.SPECIALS[bpe.USER] + q + bpe.SPECIALS[bpe.ASSISTANT] + "<think>\n"


def completion_text(think, answer):
    return think + "\n</think>\n\n" + answer + bpe.SPECIALS[bpe.EOS]


def build_eval(rng, countries, capitals, per_kind, templates=ph.EVAL, prefixes=ph.EVAL_PREFIXES,
               suffixes=ph.EVAL_SUFFIXES, ood_templates=ph.EVAL_OOD_TEMPLATES):
    items = []
    for kind in KINDS[:-1]:
        for i in range(per_kind):
            c = countries[i % len(countries)] if per_kind >= len(countries) else rng.choice(countries)
            style = EVAL_STYLES[i % len(EVAL_STYLES)]
            t = templates[kind][rng.randrange(len(templates[kind]))]
            q = question(kind, c, c.capital, t, style, rng, prefixes, suffixes)
            think, answer = reasoning_and_answer(kind, c, capitals.get(c.capital))
            facts = {"capital": [c.capital], "continent": [c.continent], "currency": [c.currency],
                     "languages": list(c.languages),
                     "country_of_capital": [x.name for x in capitals[c.capital]]}[kind]
            items.append({"kind": kind, "style": style, "question": q, "reasoning": think, "answer": answer,
                          "facts": facts, "country": c.name})
    for i in range(per_kind):
        style = EVAL_STYLES[i % len(EVAL_STYLES)]
        q = ood_question(ood_templates, rng, countries, prefixes, suffixes, [style])
        items.append({"kind": "out_of_domain", "style": style, "question": q, "reasoning": REFUSAL_THINK,
                      "answer": REFUSAL,
                      "facts": ["I only know about the world's countries"], "country": None})
    return items


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--countries", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", type=int, default=300_000)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--eval-per-kind", type=int, default=250)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--eval-seed", type=int, help="seed of the evaluation sets (default: --seed)")
    ap.add_argument("--widen", action="store_true",
                    help="the widened phrasings (composed questions, chatter, made-up names) of the second phase")
    ap.add_argument("--salad", action="store_true",
                    help="also word salad around questions and more typos (the third phase; implies --widen)")
    ap.add_argument("--tokenizer", help="reuse this tokenizer.json instead of training one (a continued model)")
    args = ap.parse_args()
    global WIDEN, SALAD
    WIDEN = args.widen or args.salad
    SALAD = args.salad
    os.makedirs(args.out, exist_ok=True)
    countries = countries_mod.load(args.countries)
    capitals = countries_mod.capital_index(countries)
    KNOWN_NAMES.update(x.lower() for c in countries for x in (c.name, c.capital, *c.aliases))
    for table in (ph.EVAL, ph.EVAL2):
        for kind in table:
            EVAL_TEMPLATES.update(tuple(normalized(t)) for t in table[kind])

    for table in (ph.EVAL, ph.EVAL2):
        for kind in table:
            overlap = set(table[kind]) & set(ph.TRAIN[kind])
            assert not overlap, f"evaluation templates also used in training: {overlap}"
    for ood in (ph.EVAL_OOD_TEMPLATES, ph.EVAL2_OOD_TEMPLATES):
        assert not set(ood) & set(ph.TRAIN_OOD_TEMPLATES_WIDE)
    assert not {p.strip(" ,.!") for p in ph.EVAL_PREFIXES + ph.EVAL2_PREFIXES} & {p.strip(" ,.!") for p in ph.GEN_OPEN}

    rng = random.Random(args.seed)
    docs = []
    for _ in range(args.docs):
        turns = []
        if rng.random() < 0.1:  # a follow-up: the first turn's answer is in the history without its reasoning
            _, q1, _, a1 = sample_train(rng, countries, capitals)
            turns.append((q1, a1))
        kind, q, think, answer = sample_train(rng, countries, capitals)
        docs.append((kind, prompt_text(turns, q), completion_text(think, answer)))

    train_questions = {d[1] for d in docs}
    leaked = 0
    eval_sets = {}
    eval_seed = args.seed if args.eval_seed is None else args.eval_seed
    for name, seed, parts in (("eval.jsonl", eval_seed + 1, (ph.EVAL, ph.EVAL_PREFIXES, ph.EVAL_SUFFIXES,
                                                            ph.EVAL_OOD_TEMPLATES)),
                              ("eval2.jsonl", eval_seed + 2, (ph.EVAL2, ph.EVAL2_PREFIXES, ph.EVAL2_SUFFIXES,
                                                             ph.EVAL2_OOD_TEMPLATES))):
        items = build_eval(random.Random(seed), countries, capitals, args.eval_per_kind, *parts)
        kept = [e for e in items if prompt_text([], e["question"]) not in train_questions]
        leaked += len(items) - len(kept)
        eval_sets[name] = kept
    eval_items = eval_sets["eval2.jsonl"]

    if args.tokenizer:
        tok = bpe.Tokenizer.load(args.tokenizer)
    else:
        corpus = [d[1] + d[2] for d in docs[:60_000]]
        tok = bpe.train([t.replace("\x00", "") for t in corpus], args.vocab)
    tok.save(os.path.join(args.out, "tokenizer.json"))

    ids, offsets, starts = [], [0], []
    for kind, p, comp in docs:
        pi = tok.encode(p, parse_special=True)
        ci = tok.encode(comp, parse_special=True)
        starts.append(len(pi))
        ids += pi + ci
        offsets.append(len(ids))
    np.savez_compressed(os.path.join(args.out, "train.npz"), ids=np.array(ids, dtype=np.uint16),
                        offsets=np.array(offsets, dtype=np.int64), starts=np.array(starts, dtype=np.int32),
                        kinds=np.array([KINDS.index(d[0]) for d in docs], dtype=np.int8))
    for name, items in eval_sets.items():
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            for e in items:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
    lengths = np.diff(np.array(offsets))
    stats = {"countries": len(countries), "docs": len(docs), "tokens": len(ids), "vocab": len(tok.tokens),
             "mean_doc_tokens": float(lengths.mean()), "max_doc_tokens": int(lengths.max()),
             "eval_items": {k: len(v) for k, v in eval_sets.items()}, "eval_dropped_as_seen_in_training": leaked,
             "mix": {k: sum(1 for d in docs if d[0] == k) for k in KINDS}}
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    print(json.dumps(stats, indent=1))
    for d in docs[:6]:
        print(repr(d[1] + d[2]))


if __name__ == "__main__":
    main()
