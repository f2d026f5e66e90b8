package dev.moe4j.internal.model;

import dev.moe4j.ModelInfo;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Other tensor layouts of the same models, derived from the golden files, which must still reproduce llama.cpp:
 * <ul>
 * <li>old Mixtral conversions: one {@code blk.N.ffn_{gate,up,down}.E.weight} per expert instead of 3-D stacks;</li>
 * <li>a fused {@code attn_qkv} weight and bias instead of separate q, k, v;</li>
 * <li>tied embeddings: no {@code output.weight}, the token embedding doubles as the output projection.</li>
 * </ul>
 */
class DecoderFileVariantsTest {
    @TempDir
    Path dir;

    @Test
    void perExpertMixtralLayoutReproducesLlamaCpp() throws IOException {
        GoldenCase g = GoldenCase.load("mixtral-tiny-f32");
        Path split = dir.resolve("per-expert.gguf");
        int layers;
        try (GgufFile src = GgufFile.open(g.model())) {
            layers = src.metadata().getInt("llama.block_count");
            GgufWriter w = GgufRewrite.copy(src, k -> true, t -> !t.contains("_exps"));
            for (int l = 0; l < layers; l++) {
                for (String kind : new String[] {"gate", "up", "down"}) {
                    GgufTensor stack = src.tensor("blk." + l + ".ffn_" + kind + "_exps.weight").orElseThrow();
                    long[] dims = stack.dims();
                    long bytes = stack.byteSize() / dims[2];
                    for (int e = 0; e < dims[2]; e++) {
                        w.tensor("blk." + l + ".ffn_" + kind + "." + e + ".weight", stack.type(),
                                new long[] {dims[0], dims[1]}, stack.segment().asSlice(e * bytes, bytes).toArray(JAVA_BYTE));
                    }
                }
            }
            w.write(split);
        }
        try (GgufFile file = GgufFile.open(split);
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(2))) {
            assertTrue(file.tensor("blk.0.ffn_gate.7.weight").isPresent());
            assertFalse(file.tensor("blk.0.ffn_gate_exps.weight").isPresent());
            GoldenComparison.Summary summary = new GoldenComparison.Summary();
            GoldenComparison.check(g, GoldenComparison.run(model, g, true), "per-expert layout", summary);
            System.out.printf("%-22s per-expert %s%n", g.name(), summary);
        }
        // the parameter counts do not depend on the layout
        ModelInfo stacked = ModelInfo.read(g.model());
        ModelInfo perExpert = ModelInfo.read(split);
        assertEquals(stacked.parametersTotal(), perExpert.parametersTotal());
        assertEquals(stacked.parametersActive(), perExpert.parametersActive());
        assertTrue(perExpert.parametersActive() < perExpert.parametersTotal());
    }

    @Test
    void fusedQkvWithBiasReproducesLlamaCpp() throws IOException {
        GoldenCase g = GoldenCase.load("qwen2-dense-tiny-f32");
        Path fused = dir.resolve("fused-qkv.gguf");
        try (GgufFile src = GgufFile.open(g.model())) {
            int layers = src.metadata().getInt("qwen2.block_count");
            GgufWriter w = GgufRewrite.copy(src, k -> true,
                    t -> !t.matches("blk\\.\\d+\\.attn_[qkv]\\.(weight|bias)"));
            for (int l = 0; l < layers; l++) {
                String p = "blk." + l + ".";
                for (String kind : new String[] {"weight", "bias"}) {
                    GgufTensor q = src.tensor(p + "attn_q." + kind).orElseThrow();
                    GgufTensor k = src.tensor(p + "attn_k." + kind).orElseThrow();
                    GgufTensor v = src.tensor(p + "attn_v." + kind).orElseThrow();
                    ByteArrayOutputStream rows = new ByteArrayOutputStream(); // q rows, then k rows, then v rows
                    rows.writeBytes(q.segment().toArray(JAVA_BYTE));
                    rows.writeBytes(k.segment().toArray(JAVA_BYTE));
                    rows.writeBytes(v.segment().toArray(JAVA_BYTE));
                    long[] dims = kind.equals("weight")
                            ? new long[] {q.dim(0), q.dim(1) + k.dim(1) + v.dim(1)}
                            : new long[] {q.dim(0) + k.dim(0) + v.dim(0)};
                    w.tensor(p + "attn_qkv." + kind, q.type(), dims, rows.toByteArray());
                }
            }
            w.write(fused);
        }
        try (GgufFile file = GgufFile.open(fused);
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(2))) {
            assertTrue(file.tensor("blk.0.attn_qkv.bias").isPresent() && file.tensor("blk.0.attn_q.weight").isEmpty());
            GoldenComparison.Summary summary = new GoldenComparison.Summary();
            GoldenComparison.check(g, GoldenComparison.run(model, g, true), "fused attn_qkv", summary);
            System.out.printf("%-22s fused qkv  %s%n", g.name(), summary);
        }
    }

    /** Without {@code output.weight} the logits are those of a file whose output projection is the embedding. */
    @Test
    void missingOutputWeightTiesItToTheEmbedding() throws IOException {
        GoldenCase g = GoldenCase.load("qwen3-dense-tiny-f32");
        Path tied = dir.resolve("tied.gguf");
        Path copied = dir.resolve("copied.gguf");
        try (GgufFile src = GgufFile.open(g.model())) {
            GgufRewrite.copy(src, k -> true, t -> !t.equals("output.weight")).write(tied);
            GgufTensor embd = src.tensor("token_embd.weight").orElseThrow();
            GgufRewrite.copy(src, k -> true, t -> !t.equals("output.weight"))
                    .tensor("output.weight", embd.type(), embd.dims(), embd.segment().toArray(JAVA_BYTE))
                    .write(copied);
        }
        float[][] a;
        float[][] b;
        try (GgufFile f = GgufFile.open(tied); LanguageModel m = LanguageModels.load(f, ModelOptions.defaults(1))) {
            assertTrue(f.tensor("output.weight").isEmpty());
            a = GoldenComparison.run(m, g, true).rows();
        }
        try (GgufFile f = GgufFile.open(copied); LanguageModel m = LanguageModels.load(f, ModelOptions.defaults(1))) {
            b = GoldenComparison.run(m, g, true).rows();
        }
        GoldenComparison.agree(a, b, "tied vs copied output projection");
        // and the projection matters: the golden file's own output.weight gives other logits
        assertTrue(LogitStats.maxAbsDiff(a[0], g.steps()[0]) > 0.1);
    }
}
