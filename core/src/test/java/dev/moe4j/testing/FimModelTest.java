package dev.moe4j.testing;

import dev.moe4j.Model;
import dev.moe4j.internal.generate.FimTokens;
import dev.moe4j.internal.generate.InfillPrompt;
import dev.moe4j.internal.generate.InfillRequest;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.TokenType;
import dev.moe4j.internal.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FIM-capable copy of the golden tiny DeepSeek-V2 model: its FIM tokens are found, and it still loads and runs. */
class FimModelTest {
    @TempDir
    Path dir;

    @Test
    void fimTokensAreFoundByText() throws IOException {
        Path p = FimModel.write(dir);
        try (GgufFile f = GgufFile.open(p)) {
            Tokenizer t = GgufTokenizerLoader.fromMetadata(f.metadata());
            FimTokens fim = FimTokens.find(f.metadata(), t).orElseThrow();
            assertArrayEquals(new int[] {FimModel.PRE, FimModel.SUF, FimModel.MID}, fim.ids());
            assertEquals(TokenType.CONTROL, t.tokenType(FimModel.PRE));
            assertEquals(512, t.vocabSize());
            assertEquals(TokenType.UNUSED, t.tokenType(405), "the other placeholders stay");
        }
        try (GgufFile golden = GgufFile.open(GoldenFiles.goldenDir().resolve("ds2-lite-tiny-f32/model.gguf"));
             GgufFile copy = GgufFile.open(p)) {
            assertEquals(golden.metadata().keys(), copy.metadata().keys(), "same keys, same order");
            assertEquals(golden.tensors().size(), copy.tensors().size());
        }
    }

    @Test
    void loadsTokenizesAndRunsAnInfillPrompt() throws IOException {
        Path p = FimModel.write(dir);
        try (Model model = Model.load(p)) {
            assertArrayEquals(new int[] {FimModel.BOS, FimModel.PRE}, model.tokenize("<｜fim▁begin｜>", true));
            // llama.cpp's llama-tokenize on this file, with and without --no-parse-special
            assertArrayEquals(new int[] {399, 402, 100, 101, 102, 403},
                    model.tokenize("<｜fim▁begin｜>def<｜fim▁hole｜>", true));
            assertArrayEquals(new int[] {399, 60, 239, 189, 156, 102, 105, 109, 226, 150, 129, 98, 101, 103, 267, 239,
                    189, 156, 62, 100, 101, 102}, model.tokenize("<｜fim▁begin｜>def", false));
            int[] plain = model.tokenize("<｜fim▁begin｜>x", false);
            assertTrue(Arrays.stream(plain).noneMatch(id -> id == FimModel.PRE), Arrays.toString(plain));
            assertEquals("<｜fim▁begin｜>x", model.detokenize(Arrays.copyOfRange(plain, 1, plain.length)));

            Tokenizer t;
            FimTokens fim;
            try (GgufFile f = GgufFile.open(p)) {
                t = GgufTokenizerLoader.fromMetadata(f.metadata());
                fim = FimTokens.find(f.metadata(), t).orElseThrow();
            }
            int[] ids = new InfillPrompt(t, fim).build(InfillRequest.of("def add(a, b):\n    return ", "\n",
                    InfillRequest.Budget.forContext(512))).ids();
            assertEquals(FimModel.BOS, ids[0]);
            assertEquals(FimModel.PRE, ids[1]);
            assertEquals(FimModel.MID, ids[ids.length - 1]);
            float[] logits = model.logits(ids);
            assertEquals(model.vocabularySize(), logits.length);
            for (float x : logits) {
                assertTrue(Float.isFinite(x));
            }
        }
    }
}
