package dev.moe4j.internal.generate;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.TokenType;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzz target for infill prompts, whose every text comes from users: any prefix, suffix, middle and extra chunks,
 * with special-token strings spliced in, and any budget either give a prompt whose only control and FIM tokens are
 * those the layout writes (in its order, however the budget cuts), or are refused with IllegalArgumentException;
 * nothing else may be thrown. Two vocabularies: DeepSeek-Coder's (FIM tokens USER_DEFINED in the file, no repository
 * tokens) and a small Qwen2.5-Coder-style one with all six FIM tokens plus DeepSeek's as USER_DEFINED text. A normal
 * test run replays the saved inputs ({@code src/test/resources/.../InfillPromptFuzzTestInputs}); {@code JAZZER_FUZZ=1}
 * fuzzes.
 */
class InfillPromptFuzzTest {
    /** A vocabulary under test, its FIM tokens and the special-token strings to splice into texts. */
    private record Case(Tokenizer tokenizer, FimTokens fim, InfillPrompt prompt, List<String> specials) {
        static Case of(Tokenizer t, FimTokens fim) {
            List<String> specials = IntStream.range(0, t.vocabSize())
                    .filter(id -> t.tokenType(id) != TokenType.NORMAL && t.tokenType(id) != TokenType.BYTE
                            && t.tokenType(id) != TokenType.UNUSED)
                    .mapToObj(t::tokenText).filter(s -> !s.isEmpty()).toList();
            return new Case(t, fim, new InfillPrompt(t, fim), specials);
        }
    }

    private static final class Cases {
        static final Case[] ALL = {deepSeekCoder(), qwenStyle()};
    }

    private static Case deepSeekCoder() {
        try (GgufFile f = GgufFile.open(ChatFixtures.shared()
                .resolve("tokenizers/llama.cpp-vocab/ggml-vocab-deepseek-coder.gguf"))) {
            Tokenizer t = GgufTokenizerLoader.fromMetadata(f.metadata());
            return Case.of(t, FimTokens.find(f.metadata(), t).orElseThrow());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Case qwenStyle() {
        try {
            Path dir = Files.createTempDirectory("infill-fuzz");
            List<FimVocab.Special> specials = new ArrayList<>(FimVocab.QWEN);
            specials.addAll(FimVocab.DEEPSEEK);
            FimVocab.Vocab v = FimVocab.write(dir, specials, true);
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
            return Case.of(v.tokenizer(), v.fimTokens());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void userTextNeverBecomesControlTokens(FuzzedDataProvider data) {
        Case c = data.pickValue(Cases.ALL);
        InfillRequest.Budget budget;
        try {
            budget = new InfillRequest.Budget(data.consumeInt(-1, 600), data.consumeInt(-1, 5000),
                    data.consumeInt(-3, 3000));
        } catch (IllegalArgumentException refused) {
            return;
        }
        List<InfillRequest.Chunk> chunks = new ArrayList<>();
        for (int n = data.consumeInt(0, 3); n > 0; n--) {
            chunks.add(new InfillRequest.Chunk(data.consumeBoolean() ? null : text(data, c.specials()),
                    text(data, c.specials())));
        }
        boolean spm = data.consumeBoolean();
        InfillRequest request = new InfillRequest(text(data, c.specials()), text(data, c.specials()),
                text(data, c.specials()), chunks, spm, budget);
        InfillPrompt.Result r = c.prompt().build(request);
        check(c, request, r);
    }

    /** The control and FIM tokens of the prompt are exactly the layout's, whatever the texts held. */
    private static void check(Case c, InfillRequest request, InfillPrompt.Result r) {
        Tokenizer t = c.tokenizer();
        FimTokens fim = c.fim();
        List<Integer> fimIds = Arrays.stream(fim.ids()).boxed().toList();
        int[] structural = Arrays.stream(r.ids()).filter(id -> fimIds.contains(id)
                || t.tokenType(id) == TokenType.CONTROL || t.tokenType(id) == TokenType.UNKNOWN).toArray();
        int[] tail = IntStream.concat(t.addsBos() ? IntStream.of(t.bosId()) : IntStream.empty(),
                request.spm() ? IntStream.of(fim.suf(), fim.pre(), fim.mid())
                        : IntStream.of(fim.pre(), fim.suf(), fim.mid())).toArray();
        assertTrue(structural.length >= tail.length, () -> Arrays.toString(r.ids()));
        int head = structural.length - tail.length;
        assertArrayEquals(tail, Arrays.copyOfRange(structural, head, structural.length),
                () -> Arrays.toString(r.ids()));
        // before them only what the extra context's layout writes: FIM_REP first, then a FIM_SEP per chunk and one more
        int seps = 0;
        for (int i = 0; i < head; i++) {
            int id = structural[i];
            if (id == fim.rep() && i == 0) {
                continue;
            }
            assertEquals(fim.sep(), id, () -> "unexpected special token in " + Arrays.toString(r.ids()));
            seps++;
        }
        assertTrue(seps <= request.chunks().size() + 1, () -> Arrays.toString(r.ids()));
        assertEquals(fim.mid(), r.ids()[r.ids().length - 1]);
        assertTrue(r.prefixDropped() >= 0 && r.suffixDropped() >= 0 && r.extraDropped() >= 0, r::toString);
    }

    /** Fuzzed text (lone surrogates included) with some of the vocabulary's special-token strings spliced in. */
    private static String text(FuzzedDataProvider data, List<String> specials) {
        StringBuilder b = new StringBuilder(data.consumeString(40));
        for (int n = data.consumeInt(0, 3); n > 0; n--) {
            b.insert(data.consumeInt(0, b.length()), data.pickValue(specials));
        }
        return b.toString();
    }
}
