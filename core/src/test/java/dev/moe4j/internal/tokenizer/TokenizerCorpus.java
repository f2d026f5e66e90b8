package dev.moe4j.internal.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A corpus of test strings for comparing tokenizers: a hand-written list (prose in many scripts, code, numbers,
 * whitespace, emoji, combining marks, special-token strings) and strings generated from a seeded {@link Random}
 * (numbers of every length, whitespace runs, emoji sequences, mark stacks, embedded special tokens, random mixtures,
 * random Unicode).
 */
final class TokenizerCorpus {
    private TokenizerCorpus() {
    }

    /**
     * Code points assigned in Unicode 15.0–16.0: the JDK (Unicode 16) classifies them, HF tokenizers' Oniguruma
     * (Unicode 14) sees them as unassigned, so the two tokenizers legitimately differ on them. Computed as the code
     * points that JDK 25's {@link Character#getType} assigns but Python 3.11's unicodedata (Unicode 14.0) does not; no
     * code point changed its major category between the two versions.
     */
    static final int[][] ADDED_AFTER_UNICODE_14 = {
            {0x897, 0x897}, {0xCF3, 0xCF3}, {0xECE, 0xECE}, {0x1B4E, 0x1B4F}, {0x1B7F, 0x1B7F}, {0x1C89, 0x1C8A},
            {0x2427, 0x2429}, {0x2FFC, 0x2FFF}, {0x31E4, 0x31E5}, {0x31EF, 0x31EF}, {0xA7CB, 0xA7CD},
            {0xA7DA, 0xA7DC}, {0x105C0, 0x105F3}, {0x10D40, 0x10D65}, {0x10D69, 0x10D85}, {0x10D8E, 0x10D8F},
            {0x10EC2, 0x10EC4}, {0x10EFC, 0x10EFF}, {0x1123F, 0x11241}, {0x11380, 0x11389}, {0x1138B, 0x1138B},
            {0x1138E, 0x1138E}, {0x11390, 0x113B5}, {0x113B7, 0x113C0}, {0x113C2, 0x113C2}, {0x113C5, 0x113C5},
            {0x113C7, 0x113CA}, {0x113CC, 0x113D5}, {0x113D7, 0x113D8}, {0x113E1, 0x113E2}, {0x116D0, 0x116E3},
            {0x11B00, 0x11B09}, {0x11BC0, 0x11BE1}, {0x11BF0, 0x11BF9}, {0x11F00, 0x11F10}, {0x11F12, 0x11F3A},
            {0x11F3E, 0x11F5A}, {0x1342F, 0x1342F}, {0x13439, 0x13455}, {0x13460, 0x143FA}, {0x16100, 0x16139},
            {0x16D40, 0x16D79}, {0x18CFF, 0x18CFF}, {0x1B132, 0x1B132}, {0x1B155, 0x1B155}, {0x1CC00, 0x1CCF9},
            {0x1CD00, 0x1CEB3}, {0x1D2C0, 0x1D2D3}, {0x1DF25, 0x1DF2A}, {0x1E030, 0x1E06D}, {0x1E08F, 0x1E08F},
            {0x1E4D0, 0x1E4F9}, {0x1E5D0, 0x1E5FA}, {0x1E5FF, 0x1E5FF}, {0x1F6DC, 0x1F6DC}, {0x1F774, 0x1F776},
            {0x1F77B, 0x1F77F}, {0x1F7D9, 0x1F7D9}, {0x1F8B2, 0x1F8BB}, {0x1F8C0, 0x1F8C1}, {0x1FA75, 0x1FA77},
            {0x1FA87, 0x1FA89}, {0x1FA8F, 0x1FA8F}, {0x1FAAD, 0x1FAAF}, {0x1FABB, 0x1FABF}, {0x1FAC6, 0x1FAC6},
            {0x1FACE, 0x1FACF}, {0x1FADA, 0x1FADC}, {0x1FADF, 0x1FADF}, {0x1FAE8, 0x1FAE9}, {0x1FAF7, 0x1FAF8},
            {0x1FBCB, 0x1FBEF}, {0x2B739, 0x2B739}, {0x2EBF0, 0x2EE5D}, {0x31350, 0x323AF}};

    static boolean addedAfterUnicode14(int cp) {
        for (int[] r : ADDED_AFTER_UNICODE_14) {
            if (cp >= r[0] && cp <= r[1]) {
                return true;
            }
        }
        return false;
    }

    /** Hand-written strings. */
    static final List<String> HAND = List.of(
            // English prose, contractions, punctuation
            "The quick brown fox jumps over the lazy dog.",
            "It's a truth universally acknowledged, that a single man in possession of a good fortune, must be in"
                    + " want of a wife.",
            "I'm sure you'll agree: we've done what we could, haven't we? They'd say so; she'll too.",
            "DON'T SHOUT! I'M RIGHT HERE. You'RE, We'VE, It'S, I'LL, He'D",
            "\"Quoted,\" she said — 'single quotes' … and (parentheses) [brackets] {braces} <angles>.",
            "Mr. O'Brien's rock'n'roll band played 'til 3 a.m.",
            "e.g. i.e. etc. vs. U.S.A. Ph.D. a.k.a.",
            // German, French, Spanish, Portuguese, Italian, Polish, Turkish, Vietnamese
            "Größenwahn ist keine Tugend. Äpfel, Öl und Übermut — straße, STRASSE, ẞ.",
            "Die Würde des Menschen ist unantastbar. Sie zu achten und zu schützen ist Verpflichtung aller staatlichen"
                    + " Gewalt.",
            "L'été dernier, nous sommes allés à Paris; c'était très agréable, n'est-ce pas ? « Oui ! »",
            "Ça va? Où est la bibliothèque? Œuvre, cœur, naïveté, Noël.",
            "¿Dónde está el baño? ¡Qué día tan bonito! Mañana será otro día.",
            "Não há mal que sempre dure, nem bem que nunca acabe. Coração, ação, pão.",
            "Nel mezzo del cammin di nostra vita mi ritrovai per una selva oscura.",
            "Zażółć gęślą jaźń. Źdźbło, łódź, Świętokrzyskie.",
            "Işık ılık süt içtim; İstanbul'da ağır ağır gülüşür.",
            "Tiếng Việt có dấu: Cửa Việt, người Việt Nam, phở bò.",
            // Russian, Ukrainian, Greek
            "Съешь же ещё этих мягких французских булок, да выпей чаю.",
            "Москва — столица России. В 2024 году было 12 миллионов жителей.",
            "Ґанок, їжак, європейський, Україна — незалежна держава.",
            "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Ἐν ἀρχῇ ἦν ὁ λόγος.",
            "Το γρήγορο καφέ αλεπού πηδάει πάνω από το τεμπέλικο σκυλί;",
            // Arabic, Hebrew, Persian, Urdu
            "اللغة العربية هي لغة جميلة. مرحبا بالعالم! ١٢٣٤٥ ٦٧٨٩٠",
            "بِسْمِ اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ",
            "שלום עולם! עברית נכתבת מימין לשמאל. בְּרֵאשִׁית בָּרָא",
            "زبان فارسی بسیار زیباست. ۱۲۳۴ اردو: یہ ایک جملہ ہے۔",
            // Indic, Thai, Khmer, Lao, Myanmar, Georgian, Armenian, Ethiopic
            "हिन्दी भाषा भारत की राजभाषा है। नमस्ते दुनिया! १२३४",
            "বাংলা ভাষা, தமிழ் மொழி, తెలుగు భాష, ಕನ್ನಡ, മലയാളം, ગુજરાતી, ਪੰਜਾਬੀ",
            "ภาษาไทยเป็นภาษาที่สวยงาม สวัสดีครับ ๑๒๓",
            "កាន់តែពិសេសអាចខលចេញ ພາສາລາວ မြန်မာဘာသာ",
            "ქართული ენა Հայերեն լեզու ኢትዮጵያ አማርኛ",
            // Chinese, Japanese, Korean
            "我爱北京天安门，天安门上太阳升。",
            "深度求索（DeepSeek）是一家致力于实现通用人工智能的中国公司。它成立于2023年。",
            "繁體中文與简体中文混合：臺灣、台湾、龍、龙。",
            "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。",
            "カタカナとひらがなと漢字を混ぜて書きます。コンピューター、プログラミング！",
            "ｶﾀｶﾅ半角 ﾃｽﾄ、全角ＡＢＣ１２３、「かぎかっこ」『二重』【隅付き】",
            "대한민국의 수도는 서울입니다. 안녕하세요, 세계! 한국어 123",
            "𠀋𠂉𪚥 CJK Extension B: 𠜎𠜱𠝹𠱓 and compatibility \uF900\uF901\uF902\uFA6D",
            // Code
            "public static void main(String[] args) {\n    System.out.println(\"Hello, World!\");\n}\n",
            "def fib(n: int) -> int:\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n    return n if n < 2 else"
                    + " fib(n - 1) + fib(n - 2)\n",
            "#include <stdio.h>\nint main(void) {\n\tprintf(\"%d\\n\", 42);\n\treturn 0;\n}\n",
            "fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!(\"{:?}\", v);\n}",
            "const f = async (x) => { const r = await fetch(`/api/${x}?q=1&r=2`); return r.json(); };",
            "SELECT u.id, COUNT(*) AS n FROM users u JOIN orders o ON o.user_id = u.id WHERE o.total >= 100.50 "
                    + "GROUP BY u.id HAVING n > 3 ORDER BY n DESC;",
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Test</title></head>\n"
                    + "<body><div class=\"a b\" id='x'>&amp; &lt; &gt; &#x1F600;</div></body>\n</html>",
            "{\"name\": \"moe4j\", \"version\": 1.0, \"tags\": [\"a\", \"b\"], \"nested\": {\"k\": null, \"t\": true}}",
            "#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do\n  echo \"$f\" | sed 's/a/b/g' >> out.log 2>&1\ndone",
            "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tch := make(chan int, 3)\n\tfmt.Println(<-ch)\n}",
            "x = [1,2,3]; y = {'a': 1, \"b\": 2.5e-3}; z = x[::-1] if len(x) > 0 else None  # comment",
            "    indented with four spaces\n\tand a tab\n\t\ttwo tabs\n        eight spaces\n",
            "if (a && b || !c) { i++; j--; k += 2; m <<= 1; n >>>= 3; p ?: q; r ?? s; }",
            "regex: ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$ and \\d{3}-\\d{4}",
            "$$\\int_0^\\infty e^{-x^2}\\,dx = \\frac{\\sqrt{\\pi}}{2}$$ and \\(\\alpha + \\beta\\)",
            "https://github.com/deepseek-ai/DeepSeek-V3/blob/main/README.md?tab=readme-ov-file#quick-start",
            "user.name+tag@example.co.uk, ftp://files.example.org/pub/file-1.2.3.tar.gz",
            "C++ C# F# .NET node.js Vue.js __init__ __main__ snake_case camelCase PascalCase kebab-case",
            "// TODO(alice): fix this\n/* block\n * comment\n */\n-- SQL comment\n<!-- html -->",
            // Numbers
            "0 1 12 123 1234 12345 123456 1234567 12345678 123456789 1234567890",
            "3.14159265358979323846 2.718281828 -0.5 +17 1e10 6.022e23 1,000,000 1.000.000,00",
            "0x1F 0b1010 0o755 0xDEADBEEF 1_000_000 99.9% $42.00 €13,50 ¥1000 £7",
            "2024-12-26T13:45:00Z 12:30:45.123 +01:00 v2.0.1-beta.3 (build 4711)",
            "Phone: +1 (555) 123-4567, ISBN 978-3-16-148410-0, IPv4 192.168.0.1, IPv6 ::1",
            "٠١٢٣٤٥٦٧٨٩ ०१२३४५६७८९ ０１２３４５６７８９ ²³¹ ½ ¼ ¾ Ⅻ ⅷ ① ⑳ ₁₂₃",
            // Whitespace
            " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", "\r", " \n ", "\t\n\t", "a  b   c    d", "a\tb\t\tc",
            "line1\nline2\r\nline3\rline4", "trailing   ", "   leading", " \u00A0 \u3000 \u2003 \u2009 \u200B ",
            "\u2028line separator\u2029paragraph separator\u0085next line\u000Bvt\u000Cff",
            "\n\n\n\n\n\n\n\n\n\n", "                                                                ",
            // Emoji
            "🦙🚀🔥 emoji run 👍🏽 👨‍👩‍👧‍👦 ❤️ ✓ ✗ → ← ★ ☆ ♥",
            "🚀 (normal) 😶‍🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)",
            "👩🏻‍💻👨🏿‍🔬🧑🏽‍🚀 🏳️‍🌈 🏴‍☠️ 🇩🇪🇫🇷🇯🇵🇺🇸 1️⃣#️⃣*️⃣ 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
            "Hello 😀😃😄😁😆😅🤣😂🙂🙃😉😊😇🥰😍🤩😘 world",
            "👋🏻👋🏼👋🏽👋🏾👋🏿 🤝🏻 🫱🏼‍🫲🏿 💑🏻 👩‍❤️‍👨",
            // Combining marks, diacritics, normalization-sensitive
            "naïve café résumé — nai\u0308ve cafe\u0301 re\u0301sume\u0301",
            "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ text with stacked marks",
            "ÀÉÎÕÜ àéîõü A\u0300E\u0301I\u0302O\u0303U\u0308 ǅ ǈ ǋ ǲ ﬁ ﬂ",
            "\u2126 \u03A9 \u212A K \u212B \u00C5 \u210C \u210D \u2115 \u2124 (Ohm, Kelvin, Angstrom signs)",
            // Special-token strings (DeepSeek-V3)
            "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>", "<｜User｜>Hi<｜Assistant｜>",
            "<｜begin▁of▁sentence｜>You are helpful.<｜User｜>What is 2+2?<｜Assistant｜><think>\nSimple.\n</think>"
                    + "\n\n4<｜end▁of▁sentence｜>",
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": "
                    + "\"Paris\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            "<｜fim▁begin｜>def f():\n    <｜fim▁hole｜>\n    return x<｜fim▁end｜>",
            "<|EOT|> <|User|> <|begin_of_sentence|> <｜User|> <|User｜> <｜User｜ <｜Use",
            "<｜place▁holder▁no▁0｜><｜place▁holder▁no▁797｜>text<｜place▁holder▁no▁42｜>",
            "<｜<｜User｜>｜> <<｜Assistant｜>> <｜end▁of▁sentence｜><｜end▁of▁sentence｜>",
            "<think></think>", "<think>reasoning</think>answer", "</think>",
            // Misc
            "!!!???...,,,;;;::: ((([[[{{{}}}]]]))) --- *** ___ === ~~~ ^^^ ``` '''' \"\"\"\"",
            "a b c\u200Bd\u200Ce\u200Df\u2060g\uFEFFh", "\u0000\u0001\u0007\u001B[0m\u007F",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "abababababababababababababababababababab 的的的的的的的的的的的的的的的的",
            "'quoted' \"double\" «guillemets» „German“ ‚single‘ 「Japanese」 ‹angle›",
            "Ⅻ ⅷ ½ ¾ ² ³ ₁ ℃ ℉ № ™ ® © ° ± × ÷ ∞ ≠ ≤ ≥ √ ∑ ∏ ∫ ∂ ∇ ∈ ∉ ⊂ ⊃ ∪ ∩",
            "");

    /** Builds the full corpus: {@link #HAND} plus at least {@code generated} strings drawn from {@code rnd}. */
    static List<String> build(Random rnd, int generated) {
        List<String> out = new ArrayList<>(HAND);
        int target = HAND.size() + generated;
        List<String> specials = List.of("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>",
                "<｜Assistant｜>", "<|EOT|>", "<｜tool▁sep｜>", "<｜fim▁hole｜>", "<｜place▁holder▁no▁7｜>",
                "<｜▁pad▁｜>");
        // Numbers of every length, alone and in context.
        for (int len = 1; len <= 40; len++) {
            String digits = digits(rnd, len);
            out.add(digits);
            out.add("x" + digits + "y");
            out.add(" " + digits + ".5 ");
            out.add("-" + digits + "," + digits(rnd, 3) + "e" + rnd.nextInt(40));
        }
        int quota = (target - out.size()) / 10;
        for (int i = 0; i < quota; i++) {
            out.add(whitespaceMix(rnd));
        }
        for (int i = 0; i < quota; i++) {
            out.add(emojiMix(rnd));
        }
        for (int i = 0; i < quota; i++) {
            out.add(markStack(rnd));
        }
        for (int i = 0; i < quota; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(5); k >= 0; k--) {
                String s = pick(rnd, HAND);
                sb.append(safeSubstring(s, 0, Math.min(30, s.length())));
                sb.append(pick(rnd, specials));
            }
            out.add(sb.toString());
        }
        for (int i = 0; i < 2 * quota; i++) {
            StringBuilder sb = new StringBuilder();
            String[] joiners = {"", " ", "\n", "  ", "\t", ", ", "'", "1", "😀", "中"};
            for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                String s = pick(rnd, HAND);
                int a = rnd.nextInt(s.length() + 1);
                int b = a + rnd.nextInt(s.length() - a + 1);
                sb.append(safeSubstring(s, a, b)).append(joiners[rnd.nextInt(joiners.length)]);
            }
            out.add(sb.toString());
        }
        for (int i = 0; i < quota; i++) {
            out.add(randomAscii(rnd, 1 + rnd.nextInt(60)));
        }
        while (out.size() < target) {
            out.add(randomUnicode(rnd, 1 + rnd.nextInt(40)));
        }
        // A few long texts: many inputs concatenated, well past any default truncation length.
        for (int i = 0; i < 3; i++) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < 20_000) {
                sb.append(pick(rnd, out)).append(rnd.nextBoolean() ? "\n" : " ");
            }
            out.add(sb.toString());
        }
        return out;
    }

    static String digits(Random rnd, int len) {
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            sb.append((char) ('0' + rnd.nextInt(10)));
        }
        return sb.toString();
    }

    private static String whitespaceMix(Random rnd) {
        String[] ws = {" ", "  ", "\t", "\n", "\r\n", "\r", "\u00A0", "\u3000", "\u2028", "\u0085", "\u000B", "\f",
                "\u2003", "\u200B"};
        String[] words = {"a", "word", "Hello", "中文", "123", "!", "(", "'s", "😀", "-", "ü"};
        StringBuilder sb = new StringBuilder();
        for (int k = 1 + rnd.nextInt(8); k > 0; k--) {
            int reps = 1 + rnd.nextInt(4);
            for (int r = 0; r < reps; r++) {
                sb.append(ws[rnd.nextInt(ws.length)]);
            }
            if (rnd.nextInt(3) > 0) {
                sb.append(words[rnd.nextInt(words.length)]);
            }
        }
        return sb.toString();
    }

    private static String emojiMix(Random rnd) {
        String[] base = {"😀", "👍", "👩", "👨", "🧑", "👧", "👦", "❤", "🏳", "🏴", "🦙", "🚀", "✅", "☺", "✌", "🫱",
                "🐈", "⬛", "1", "#"};
        String[] mods = {"", "", "\uFE0F", "🏻", "🏼", "🏽", "🏾", "🏿", "\u20E3"};
        StringBuilder sb = new StringBuilder();
        for (int k = 1 + rnd.nextInt(6); k > 0; k--) {
            sb.append(base[rnd.nextInt(base.length)]).append(mods[rnd.nextInt(mods.length)]);
            int r = rnd.nextInt(6);
            if (r == 0) {
                sb.append('\u200D'); // ZWJ: joins with the next emoji
            } else if (r == 1) {
                sb.append(' ');
            } else if (r == 2) {
                // a regional-indicator pair (flag), possibly invalid
                sb.appendCodePoint(0x1F1E6 + rnd.nextInt(26)).appendCodePoint(0x1F1E6 + rnd.nextInt(26));
            } else if (r == 3) {
                sb.append("text");
            }
        }
        return sb.toString();
    }

    private static String markStack(Random rnd) {
        int[][] bases = {{'a', 'z'}, {'A', 'Z'}, {0x0430, 0x044F}, {0x05D0, 0x05EA}, {0x0627, 0x064A},
                {0x0915, 0x0939}, {0x0E01, 0x0E2E}, {0x4E00, 0x4E50}, {0x3041, 0x3096}};
        int[][] marks = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x064B, 0x065F}, {0x093C, 0x094D},
                {0x0E31, 0x0E3A}, {0x1AB0, 0x1ABE}, {0x20D0, 0x20F0}, {0xFE20, 0xFE2F}};
        StringBuilder sb = new StringBuilder();
        for (int k = 1 + rnd.nextInt(6); k > 0; k--) {
            int[] b = bases[rnd.nextInt(bases.length)];
            sb.appendCodePoint(b[0] + rnd.nextInt(b[1] - b[0] + 1));
            for (int m = rnd.nextInt(5); m > 0; m--) {
                int[] r = marks[rnd.nextInt(marks.length)];
                sb.appendCodePoint(r[0] + rnd.nextInt(r[1] - r[0] + 1));
            }
            if (rnd.nextInt(3) == 0) {
                sb.append(' ');
            }
        }
        return sb.toString();
    }

    private static String randomAscii(Random rnd, int len) {
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t\n\r"
                + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~    ''''sStTdDmM";
        StringBuilder sb = new StringBuilder(len);
        for (int i = 0; i < len; i++) {
            sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** Random code points, weighted towards ranges that exercise different categories. */
    static String randomUnicode(Random rnd, int len) {
        StringBuilder sb = new StringBuilder(len * 2);
        while (sb.codePointCount(0, sb.length()) < len) {
            int cp = switch (rnd.nextInt(8)) {
                case 0 -> 0x20 + rnd.nextInt(0x60);          // ASCII
                case 1 -> 0xA0 + rnd.nextInt(0x2F0);         // Latin-1, extended Latin, IPA, combining marks
                case 2 -> 0x370 + rnd.nextInt(0x1C90);       // Greek … Devanagari … Ethiopic … Mongolian
                case 3 -> 0x2000 + rnd.nextInt(0x1000);      // punctuation, symbols, arrows, math, dingbats
                case 4 -> 0x3000 + rnd.nextInt(0x7000);      // CJK punctuation, kana, CJK ideographs
                case 5 -> 0xA000 + rnd.nextInt(0x6000);      // Yi … Hangul … compatibility, half/fullwidth
                case 6 -> 0x1F000 + rnd.nextInt(0xC00);      // emoji and pictographs
                default -> rnd.nextInt(0x110000);            // anything, incl. unassigned and private use
            };
            if (Character.isSurrogate((char) cp) && cp <= 0xFFFF || addedAfterUnicode14(cp)) {
                continue;
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    /** A substring that does not cut a surrogate pair. */
    static String safeSubstring(String s, int a, int b) {
        if (a > 0 && a < s.length() && Character.isLowSurrogate(s.charAt(a))) {
            a--;
        }
        if (b > 0 && b < s.length() && Character.isLowSurrogate(s.charAt(b))) {
            b++;
        }
        return s.substring(a, Math.max(a, b));
    }

    private static <T> T pick(Random rnd, List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }
}
