package dev.moe4j.internal.tokenizer;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Splits text into the pieces that BPE then encodes independently, as a sequence of "Isolated" regex splits (HF
 * {@code tokenizers}' {@code Split} pre-tokenizer, llama.cpp's {@code unicode_regex_split}): starting from the whole
 * text, each regex in turn cuts every current piece into its matches and the gaps between them; both survive as
 * pieces, empty ones are dropped, and later regexes only subdivide.
 *
 * <p>The regexes run in {@link java.util.regex} with {@link Pattern#UNICODE_CHARACTER_CLASS}, so {@code \s},
 * {@code \p{L}}, {@code \p{N}}, {@code \p{P}}, {@code \p{S}} and {@code \p{M}} follow Unicode properties and general
 * categories as Oniguruma (used by HF {@code tokenizers}) does, on code points (surrogate pairs are one character).
 * Each piece is matched as a region with opaque, anchoring bounds, so a lookahead at a piece's end sees the end of
 * input, exactly as when the piece is a separate string. Differences that remain: the Unicode version of the JDK's
 * character database (JDK 25: Unicode 16) can be newer than Oniguruma's, so characters assigned only recently may be
 * classified differently.
 *
 * <p>Immutable and thread-safe (a {@link Matcher} is created per call).
 */
public final class PreTokenizer {
    /** GPT-2's regex, as HF's {@code ByteLevel} pre-tokenizer applies it when {@code use_regex} is true. */
    static final String GPT2_REGEX =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /**
     * llama.cpp's fallback for {@code tokenizer.ggml.pre = "default"} (or no such key): punctuation runs first, then
     * GPT-2's regex (without its final {@code \s+}, which changes nothing: an unmatched whitespace character survives
     * as a gap piece of its own), then digit runs, then groups of three ASCII digits.
     */
    static final List<String> LLAMA_CPP_DEFAULT = List.of(
            "[\\p{P}\\$\\+<=>\\^~\\|]+",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
            "\\p{N}+",
            "[0-9][0-9][0-9]");

    /** DeepSeek-V3/R1 (llama.cpp {@code LLAMA_VOCAB_PRE_TYPE_DEEPSEEK3_LLM}); the same list as its tokenizer.json. */
    static final List<String> DEEPSEEK_V3 = List.of(
            "\\p{N}{1,3}",
            "[一-龥぀-ゟ゠-ヿ]+", // U+4E00–U+9FA5, U+3040–U+309F, U+30A0–U+30FF
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                    + "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+");

    /**
     * DeepSeek LLM 7B/67B and V2 (llama.cpp {@code LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_LLM}). The second regex's class (the
     * cased letters of several scripts) is written with code point escapes because several of its range ends, such as
     * U+1FD3 and U+212A, are characters that Unicode normalization would silently replace. The fourth regex is
     * {@code \s+$} in the original; pieces never contain a line break at that point (the first regex isolates them),
     * so {@code \z} says the same thing without Java's "before a final line terminator" rule for {@code $}.
     */
    static final List<String> DEEPSEEK_LLM = List.of(
            "[\r\n]",
            "\\s?["
                    + "A-Za-z\\x{00B5}\\x{00C0}-\\x{00D6}\\x{00D8}-\\x{00F6}\\x{00F8}-\\x{01BA}"
                    + "\\x{01BC}-\\x{01BF}\\x{01C4}-\\x{0293}\\x{0295}-\\x{02AF}\\x{0370}-\\x{0373}"
                    + "\\x{0376}-\\x{0377}\\x{037B}-\\x{037D}\\x{037F}\\x{0386}\\x{0388}-\\x{038A}\\x{038C}"
                    + "\\x{038E}-\\x{03A1}\\x{03A3}-\\x{03F5}\\x{03F7}-\\x{0481}\\x{048A}-\\x{052F}"
                    + "\\x{0531}-\\x{0556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}"
                    + "\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}"
                    + "\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}"
                    + "\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}"
                    + "\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
                    + "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}"
                    + "\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}"
                    + "\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}"
                    + "\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}-\\x{2184}"
                    + "\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}-\\x{2CF3}"
                    + "\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}"
                    + "\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}"
                    + "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}"
                    + "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}"
                    + "\\x{1E900}-\\x{1E943}"
                    + "]+",
            "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+",
            "\\s+\\z",
            "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+",
            "\\p{N}+");

    /** DeepSeek Coder (llama.cpp {@code LLAMA_VOCAB_PRE_TYPE_DEEPSEEK_CODER}). */
    static final List<String> DEEPSEEK_CODER = List.of(
            "[\r\n]",
            "\\s?\\p{L}+",
            "\\s?\\p{P}+",
            "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+",
            "\\p{N}");

    /** Llama 3 ({@code llama-bpe}); HF writes the contractions as {@code (?i:'s|'t|...)}, llama.cpp spells the cases. */
    static final List<String> LLAMA3 = List.of(
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+");

    /** Qwen2: Llama 3's regex with single digits. */
    static final List<String> QWEN2 = List.of(
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+");

    /**
     * Qwen3.5 (llama.cpp {@code LLAMA_VOCAB_PRE_TYPE_QWEN35}): Qwen2's regex, but combining marks ({@code \p{M}})
     * count as letters, so a word in a script with vowel signs or diacritics (Devanagari, Thai, decomposed Latin)
     * stays one piece instead of being cut at every mark.
     */
    static final List<String> QWEN35 = List.of(
            "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+");

    /**
     * GGUF {@code tokenizer.ggml.pre} names we implement, with the regex list each one means; aliases are the names
     * llama.cpp maps to the same list (it maps {@code deepseek-r1-qwen}, the DeepSeek-R1-Distill-Qwen models, to
     * Qwen2's).
     */
    private static final Map<String, List<String>> BY_NAME = Map.ofEntries(
            Map.entry("deepseek-v3", DEEPSEEK_V3),
            Map.entry("deepseek-llm", DEEPSEEK_LLM),
            Map.entry("deepseek-coder", DEEPSEEK_CODER),
            Map.entry("default", LLAMA_CPP_DEFAULT),
            Map.entry("gpt-2", List.of(GPT2_REGEX)),
            Map.entry("llama-bpe", LLAMA3),
            Map.entry("llama3", LLAMA3),
            Map.entry("llama-v3", LLAMA3),
            Map.entry("qwen2", QWEN2),
            Map.entry("deepseek-r1-qwen", QWEN2),
            Map.entry("qwen35", QWEN35));

    private final String name;
    private final List<String> regexes;
    private final Pattern[] patterns;

    private PreTokenizer(String name, List<String> regexes) {
        this.name = name;
        this.regexes = List.copyOf(regexes);
        this.patterns = new Pattern[regexes.size()];
        for (int i = 0; i < patterns.length; i++) {
            patterns[i] = Pattern.compile(regexes.get(i), Pattern.UNICODE_CHARACTER_CLASS);
        }
    }

    /**
     * The pre-tokenizer for a GGUF {@code tokenizer.ggml.pre} name, with llama.cpp's regex list for it:
     * {@code deepseek-v3}, {@code deepseek-llm}, {@code deepseek-coder}, {@code gpt-2} (GPT-2's regex),
     * {@code default} (llama.cpp's fallback list, which refines GPT-2's), {@code llama-bpe}/{@code llama3}/
     * {@code llama-v3}, {@code qwen2}/{@code deepseek-r1-qwen}, {@code qwen35}. Names are case-insensitive. Empty for
     * any other name.
     */
    public static Optional<PreTokenizer> named(String name) {
        List<String> list = BY_NAME.get(name.toLowerCase(Locale.ROOT));
        return list == null ? Optional.empty() : Optional.of(new PreTokenizer(name, list));
    }

    /**
     * A pre-tokenizer from a list of regexes (e.g. read from a tokenizer.json). The name is only for messages.
     *
     * @throws IllegalArgumentException if a regex does not compile in Java's dialect
     */
    public static PreTokenizer ofRegexes(String name, List<String> regexes) {
        try {
            return new PreTokenizer(name, regexes);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("pre-tokenizer " + name + ": regex does not compile: " + e.getMessage(),
                    e);
        }
    }

    /** Every name {@link #named} accepts, sorted. */
    static List<String> names() {
        return BY_NAME.keySet().stream().sorted().toList();
    }

    /** The name of a built-in list equal to {@code regexes}, if there is one (so a tokenizer.json can be recognized). */
    static Optional<String> knownNameOf(List<String> regexes) {
        for (String candidate : List.of("deepseek-v3", "deepseek-llm", "deepseek-coder", "gpt-2", "llama-bpe",
                "qwen2", "qwen35")) {
            if (BY_NAME.get(candidate).equals(regexes)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The name this pre-tokenizer was created with. */
    public String name() {
        return name;
    }

    /** The regexes, in the order they are applied. */
    public List<String> regexes() {
        return regexes;
    }

    /**
     * Splits {@code text[from, to)} and appends the end offset (exclusive, in chars) of every piece to {@code ends};
     * the pieces are contiguous, so piece k spans {@code [k == 0 ? from : ends[k-1], ends[k])}.
     */
    void split(String text, int from, int to, IntList ends) {
        if (from >= to) {
            return;
        }
        IntList current = new IntList(16);
        current.add(to);
        IntList next = new IntList(16);
        for (Pattern pattern : patterns) {
            Matcher m = pattern.matcher(text);
            int start = from;
            for (int k = 0; k < current.size(); k++) {
                int end = current.get(k);
                m.region(start, end);
                int cursor = start;
                while (m.find()) {
                    int s = m.start();
                    int e = m.end();
                    if (s == e) {
                        continue; // an empty match isolates nothing
                    }
                    if (s > cursor) {
                        next.add(s);
                    }
                    next.add(e);
                    cursor = e;
                }
                if (cursor < end) {
                    next.add(end);
                }
                start = end;
            }
            IntList swap = current;
            current = next;
            next = swap;
            next.clear();
        }
        ends.addAll(current);
    }

    @Override
    public String toString() {
        return "PreTokenizer[" + name + "]";
    }
}
