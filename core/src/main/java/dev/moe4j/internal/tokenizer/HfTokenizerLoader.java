package dev.moe4j.internal.tokenizer;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.json.JsonParseException;
import dev.moe4j.internal.json.JsonParser;
import dev.moe4j.internal.json.JsonValues;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Builds a {@link Tokenizer} from a Hugging Face {@code tokenizer.json} (shared/spec/tokenizer.md §1), plus the
 * {@code tokenizer_config.json} next to it when present (BOS/EOS tokens and {@code add_bos_token}/
 * {@code add_eos_token}, which tokenizer.json does not state reliably).
 *
 * <p>Supported: a {@code BPE} model without byte fallback, subword prefixes or dropout; merges as {@code "a b"} strings
 * or {@code ["a", "b"]} arrays; {@code ignore_merges}; no normalizer or an empty {@code Sequence}; a pre-tokenizer that
 * is {@code ByteLevel} (with or without GPT-2's regex, no prefix space) or a {@code Sequence} of {@code Split}
 * (behavior {@code Isolated}, not inverted) followed by such a {@code ByteLevel}. {@code added_tokens} become CONTROL
 * tokens when {@code special}, USER_DEFINED otherwise (so with special-token parsing on, every added token is matched,
 * as HF does by default); their {@code lstrip}/{@code rstrip}/{@code single_word} flags must be false. The decoder and
 * post-processor entries are not interpreted: decoding is always byte-level. Anything else is rejected with a
 * {@link ModelFormatException} naming the JSON path. Stateless; thread-safe.
 */
public final class HfTokenizerLoader {
    private HfTokenizerLoader() {
    }

    /**
     * Loads {@code tokenizerJson}, and {@code tokenizer_config.json} from the same directory if it exists.
     *
     * @throws ModelFormatException (or its subclass {@link JsonParseException}) if a file is malformed or uses an
     *                              unsupported feature
     * @throws java.io.UncheckedIOException if a file cannot be read
     */
    public static Tokenizer load(Path tokenizerJson) {
        Path config = tokenizerJson.resolveSibling("tokenizer_config.json");
        return load(tokenizerJson, Files.isRegularFile(config) ? config : null);
    }

    /**
     * Loads {@code tokenizerJson} with an explicit {@code tokenizer_config.json}, or none ({@code null}: no BOS/EOS).
     */
    public static Tokenizer load(Path tokenizerJson, Path tokenizerConfig) {
        String src = tokenizerJson.toString();
        Map<String, Object> root = JsonValues.object(JsonParser.parse(tokenizerJson), "$", src);
        Map<String, Object> model = JsonValues.object(JsonValues.member(root, "model", "$", src), "$.model", src);

        checkModel(model, src);
        checkNormalizer(root.get("normalizer"), src);
        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"), src);

        // Vocabulary: model.vocab, then added_tokens (which may repeat vocab ids, as DeepSeek's 0..2 do).
        Map<String, Object> vocab = JsonValues.object(JsonValues.member(model, "vocab", "$.model", src),
                "$.model.vocab", src);
        List<Object> added = root.get("added_tokens") == null ? List.of()
                : JsonValues.array(root.get("added_tokens"), "$.added_tokens", src);
        int size = 0;
        int[] vocabIds = new int[vocab.size()];
        String[] vocabTexts = new String[vocab.size()];
        int k = 0;
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = JsonValues.integer(e.getValue(), 0, Integer.MAX_VALUE - 1, "$.model.vocab[\"" + e.getKey()
                    + "\"]", src);
            vocabIds[k] = id;
            vocabTexts[k++] = e.getKey();
            size = Math.max(size, id + 1);
        }
        List<AddedToken> addedTokens = new ArrayList<>(added.size());
        for (int i = 0; i < added.size(); i++) {
            AddedToken t = AddedToken.read(added.get(i), "$.added_tokens[" + i + "]", src);
            addedTokens.add(t);
            size = Math.max(size, t.id + 1);
        }
        String[] tokens = new String[size];
        TokenType[] types = new TokenType[size];
        for (int i = 0; i < vocabIds.length; i++) {
            if (tokens[vocabIds[i]] != null) {
                throw new ModelFormatException(src + ": $.model.vocab: id " + vocabIds[i] + " is used by both \""
                        + tokens[vocabIds[i]] + "\" and \"" + vocabTexts[i] + "\"", -1);
            }
            tokens[vocabIds[i]] = vocabTexts[i];
            types[vocabIds[i]] = TokenType.NORMAL;
        }
        for (AddedToken t : addedTokens) {
            tokens[t.id] = t.content;
            types[t.id] = t.special ? TokenType.CONTROL : TokenType.USER_DEFINED;
        }
        for (int id = 0; id < size; id++) {
            if (tokens[id] == null) { // a hole in the id space: never produced, decodes to nothing
                tokens[id] = "[PAD" + id + "]";
                types[id] = TokenType.UNUSED;
            }
        }

        List<Vocabulary.MergeRule> merges = merges(model, src);
        boolean ignoreMerges = model.get("ignore_merges") != null
                && JsonValues.bool(model.get("ignore_merges"), "$.model.ignore_merges", src);

        Config config = tokenizerConfig == null ? Config.NONE : Config.read(tokenizerConfig);
        List<String> tokenList = Arrays.asList(tokens);
        int bos = config.idOf(config.bosToken, tokenList, tokenizerConfig, "bos_token");
        int eos = config.idOf(config.eosToken, tokenList, tokenizerConfig, "eos_token");
        return Tokenizer.create(new Vocabulary(src, tokenList, Arrays.asList(types), merges, pre, bos, eos,
                config.addBos, config.addEos, ignoreMerges));
    }

    private static void checkModel(Map<String, Object> model, String src) {
        Object type = model.get("type");
        if (type != null && !"BPE".equals(type)) {
            throw unsupported(src, "$.model.type", "model type " + type + " (only BPE)");
        }
        if (Boolean.TRUE.equals(model.get("byte_fallback"))) {
            throw unsupported(src, "$.model.byte_fallback", "byte_fallback (SentencePiece-style BPE)");
        }
        for (String key : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            Object v = model.get(key);
            if (v != null && !"".equals(v)) {
                throw unsupported(src, "$.model." + key, key + " \"" + v + "\"");
            }
        }
        Object dropout = model.get("dropout");
        if (dropout instanceof Number d && d.doubleValue() != 0.0) {
            throw unsupported(src, "$.model.dropout", "BPE dropout " + d);
        }
    }

    private static void checkNormalizer(Object normalizer, String src) {
        if (normalizer == null) {
            return;
        }
        Map<String, Object> n = JsonValues.object(normalizer, "$.normalizer", src);
        boolean emptySequence = "Sequence".equals(n.get("type")) && n.get("normalizers") instanceof List<?> l
                && l.isEmpty();
        if (!emptySequence) {
            throw unsupported(src, "$.normalizer", "normalizer " + n.get("type"));
        }
    }

    private static PreTokenizer preTokenizer(Object node, String src) {
        if (node == null) {
            throw unsupported(src, "$.pre_tokenizer", "no pre-tokenizer (without ByteLevel the BPE is not byte-level)");
        }
        Map<String, Object> p = JsonValues.object(node, "$.pre_tokenizer", src);
        List<String> regexes = new ArrayList<>();
        boolean byteLevel = "ByteLevel".equals(p.get("type"));
        if ("Sequence".equals(p.get("type"))) {
            List<Object> steps = JsonValues.array(JsonValues.member(p, "pretokenizers", "$.pre_tokenizer", src),
                    "$.pre_tokenizer.pretokenizers", src);
            for (int i = 0; i < steps.size(); i++) {
                String path = "$.pre_tokenizer.pretokenizers[" + i + "]";
                Map<String, Object> step = JsonValues.object(steps.get(i), path, src);
                if ("ByteLevel".equals(step.get("type"))) {
                    if (i != steps.size() - 1) {
                        throw unsupported(src, path, "ByteLevel before other pre-tokenizers");
                    }
                    byteLevel = true;
                }
                addStep(step, path, src, regexes);
            }
        } else {
            addStep(p, "$.pre_tokenizer", src, regexes);
        }
        if (!byteLevel) {
            throw unsupported(src, "$.pre_tokenizer", "no ByteLevel step (only byte-level BPE is supported)");
        }
        String name = PreTokenizer.knownNameOf(regexes).orElse("tokenizer.json");
        try {
            return PreTokenizer.ofRegexes(name, regexes);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(src + ": $.pre_tokenizer: " + e.getMessage(), -1);
        }
    }

    private static void addStep(Map<String, Object> step, String path, String src, List<String> regexes) {
        Object type = step.get("type");
        if ("Split".equals(type)) {
            if (!"Isolated".equals(step.get("behavior"))) {
                throw unsupported(src, path + ".behavior", "Split behavior " + step.get("behavior")
                        + " (only Isolated)");
            }
            if (Boolean.TRUE.equals(step.get("invert"))) {
                throw unsupported(src, path + ".invert", "an inverted Split");
            }
            Map<String, Object> pattern = JsonValues.object(JsonValues.member(step, "pattern", path, src),
                    path + ".pattern", src);
            if (pattern.get("Regex") != null) {
                regexes.add(JsonValues.string(pattern.get("Regex"), path + ".pattern.Regex", src));
            } else if (pattern.get("String") != null) {
                regexes.add(java.util.regex.Pattern.quote(
                        JsonValues.string(pattern.get("String"), path + ".pattern.String", src)));
            } else {
                throw unsupported(src, path + ".pattern", "a pattern that is neither Regex nor String");
            }
        } else if ("ByteLevel".equals(type)) {
            if (Boolean.TRUE.equals(step.get("add_prefix_space"))) {
                throw unsupported(src, path + ".add_prefix_space", "ByteLevel add_prefix_space");
            }
            // use_regex defaults to true in HF tokenizers.
            if (!Boolean.FALSE.equals(step.get("use_regex"))) {
                regexes.add(PreTokenizer.GPT2_REGEX);
            }
        } else {
            throw unsupported(src, path + ".type", "pre-tokenizer " + type);
        }
    }

    private static List<Vocabulary.MergeRule> merges(Map<String, Object> model, String src) {
        Object node = model.get("merges");
        if (node == null) {
            return List.of();
        }
        List<Object> raw = JsonValues.array(node, "$.model.merges", src);
        List<Vocabulary.MergeRule> merges = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            String path = "$.model.merges[" + i + "]";
            Object m = raw.get(i);
            if (m instanceof String s) {
                try {
                    merges.add(Vocabulary.MergeRule.parse(s));
                } catch (IllegalArgumentException e) {
                    throw new ModelFormatException(src + ": " + path + ": " + e.getMessage(), -1);
                }
            } else if (m instanceof List<?> pair) {
                if (pair.size() != 2) {
                    throw new ModelFormatException(src + ": " + path + ": expected 2 parts, found " + pair.size(), -1);
                }
                merges.add(new Vocabulary.MergeRule(JsonValues.string(pair.get(0), path + "[0]", src),
                        JsonValues.string(pair.get(1), path + "[1]", src)));
            } else {
                throw new ModelFormatException(src + ": " + path + ": expected a string or an array, found "
                        + JsonValues.typeName(m), -1);
            }
        }
        return merges;
    }

    private static ModelFormatException unsupported(String src, String path, String what) {
        return new ModelFormatException(src + ": " + path + ": unsupported: " + what, -1);
    }

    /** One entry of {@code added_tokens}. */
    private record AddedToken(int id, String content, boolean special) {
        static AddedToken read(Object node, String path, String src) {
            Map<String, Object> o = JsonValues.object(node, path, src);
            int id = JsonValues.integer(JsonValues.member(o, "id", path, src), 0, Integer.MAX_VALUE - 1,
                    path + ".id", src);
            String content = JsonValues.string(JsonValues.member(o, "content", path, src), path + ".content", src);
            if (content.isEmpty()) {
                throw new ModelFormatException(src + ": " + path + ".content: empty added token", -1);
            }
            for (String flag : List.of("lstrip", "rstrip", "single_word")) {
                if (Boolean.TRUE.equals(o.get(flag))) {
                    throw unsupported(src, path + "." + flag, "added token flag " + flag);
                }
            }
            boolean special = o.get("special") != null && JsonValues.bool(o.get("special"), path + ".special", src);
            return new AddedToken(id, content, special);
        }
    }

    /** What tokenizer_config.json says about BOS/EOS. */
    private record Config(String bosToken, String eosToken, boolean addBos, boolean addEos) {
        static final Config NONE = new Config(null, null, false, false);

        static Config read(Path file) {
            String src = file.toString();
            Map<String, Object> c = JsonValues.object(JsonParser.parse(file), "$", src);
            return new Config(tokenText(c.get("bos_token"), "$.bos_token", src),
                    tokenText(c.get("eos_token"), "$.eos_token", src),
                    c.get("add_bos_token") != null && JsonValues.bool(c.get("add_bos_token"), "$.add_bos_token", src),
                    c.get("add_eos_token") != null && JsonValues.bool(c.get("add_eos_token"), "$.add_eos_token", src));
        }

        /** A token given as a string or as {@code {"content": ...}}, or null. */
        private static String tokenText(Object node, String path, String src) {
            if (node == null || node instanceof String) {
                return (String) node;
            }
            Map<String, Object> o = JsonValues.object(node, path, src);
            return JsonValues.string(JsonValues.member(o, "content", path, src), path + ".content", src);
        }

        int idOf(String text, List<String> tokens, Path file, String what) {
            if (text == null) {
                return -1;
            }
            OptionalInt id = OptionalInt.empty();
            for (int i = 0; i < tokens.size() && id.isEmpty(); i++) {
                if (tokens.get(i).equals(text)) {
                    id = OptionalInt.of(i);
                }
            }
            return id.orElseThrow(() -> new ModelFormatException(file + ": " + what + " \"" + text
                    + "\" is not a token of the vocabulary", -1));
        }
    }
}
