package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.internal.model.ModelOptions.ActivationRounding;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuant;
import dev.moe4j.internal.quant.ReferenceQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Other tensor layouts of the same model, derived from the golden files:
 * <ul>
 * <li>files converted before llama.cpp split the MLA up-projection carry one {@code attn_kv_b} per layer (and no
 *     {@code *_mla} keys); the model derives {@code W_UK[h]ᵀ} and {@code W_UV[h]} from it at load. The tiny golden model
 *     rewritten in that legacy form must still reproduce llama.cpp's logits, and a quantized {@code attn_kv_b} must give
 *     what the split form gives with the same (dequantized) values;</li>
 * <li>a fused {@code ffn_gate_up_exps} must give what separate gate and up experts give.</li>
 * </ul>
 */
class DeepSeek2FileVariantsTest {
    static final int LAYERS = 4;
    static final int HEADS = 4;
    static final int NOPE = 32;
    static final int DV = 32;
    static final int R = 32;

    @TempDir
    Path dir;

    @Test
    void legacyF32KvbReproducesLlamaCpp() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        Path legacy = dir.resolve("legacy-f32.gguf");
        try (GgufFile src = GgufFile.open(g.model())) {
            legacyWriter(src, GgmlType.F32).write(legacy);
        }
        try (GgufFile file = GgufFile.open(legacy);
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(2))) {
            assertTrue(file.tensor("blk.0.attn_kv_b.weight").isPresent() && file.tensor("blk.0.attn_k_b.weight").isEmpty());
            GoldenComparison.Summary summary = new GoldenComparison.Summary();
            GoldenComparison.check(g, GoldenComparison.run(model, g, true), "legacy attn_kv_b", summary);
            System.out.printf("%-22s legacy kv_b %s%n", g.name(), summary);
        }
    }

    /** Q8_0 attn_kv_b (k_b dequantized and transposed at load, v_b read in place) = split f32 tensors of its values. */
    @Test
    void legacyQuantizedKvbEqualsSplitFormOfTheSameValues() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        Path legacy = dir.resolve("legacy-q8.gguf");
        Path split = dir.resolve("split-dequantized.gguf");
        try (GgufFile src = GgufFile.open(g.model())) {
            legacyWriter(src, GgmlType.Q8_0).write(legacy);
        }
        try (GgufFile lf = GgufFile.open(legacy); GgufFile src = GgufFile.open(g.model())) {
            GgufWriter w = GgufRewrite.copy(src, k -> true, t -> !t.contains("attn_k_b") && !t.contains("attn_v_b"));
            for (int l = 0; l < LAYERS; l++) {
                GgufTensor kvb = lf.tensor("blk." + l + ".attn_kv_b.weight").orElseThrow();
                float[] kv = new float[(int) kvb.elementCount()];
                ReferenceQuant.dequantizeRow(kvb.type(), kvb.segment(), 0, kv, kv.length);
                float[] kb = new float[HEADS * R * NOPE];
                float[] vb = new float[HEADS * DV * R];
                splitKvb(kv, kb, vb);
                w.tensor("blk." + l + ".attn_k_b.weight", GgmlType.F32, new long[] {NOPE, R, HEADS}, bytes(kb));
                w.tensor("blk." + l + ".attn_v_b.weight", GgmlType.F32, new long[] {R, DV, HEADS}, bytes(vb));
            }
            w.write(split);
        }
        ModelOptions exact = ModelOptions.defaults(1).withRounding(ActivationRounding.NONE);
        float[][] a;
        float[][] b;
        try (GgufFile f = GgufFile.open(legacy); LanguageModel m = LanguageModels.load(f, exact)) {
            a = GoldenComparison.run(m, g, true).rows();
        }
        try (GgufFile f = GgufFile.open(split); LanguageModel m = LanguageModels.load(f, exact)) {
            b = GoldenComparison.run(m, g, true).rows();
        }
        GoldenComparison.agree(a, b, "legacy Q8_0 attn_kv_b vs split f32");
    }

    /** Some converters fuse each expert's gate and up projections into one {@code ffn_gate_up_exps} tensor. */
    @Test
    void fusedGateUpExpertsReproduceLlamaCpp() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-q8e");
        Path fused = dir.resolve("fused.gguf");
        try (GgufFile src = GgufFile.open(g.model())) {
            GgufWriter w = GgufRewrite.copy(src, k -> true, t -> !t.contains("ffn_gate_exps") && !t.contains("ffn_up_exps"));
            for (int l = 1; l < LAYERS; l++) {
                GgufTensor gate = src.tensor("blk." + l + ".ffn_gate_exps.weight").orElseThrow();
                GgufTensor up = src.tensor("blk." + l + ".ffn_up_exps.weight").orElseThrow();
                long[] dims = gate.dims();
                long half = gate.byteSize() / dims[2];
                byte[] out = new byte[(int) (2 * gate.byteSize())];
                for (int e = 0; e < dims[2]; e++) {
                    MemorySegment.copy(gate.segment(), JAVA_BYTE, e * half, out, (int) (2 * e * half), (int) half);
                    MemorySegment.copy(up.segment(), JAVA_BYTE, e * half, out, (int) ((2 * e + 1) * half), (int) half);
                }
                w.tensor("blk." + l + ".ffn_gate_up_exps.weight", gate.type(), new long[] {dims[0], 2 * dims[1], dims[2]},
                        out);
            }
            w.write(fused);
        }
        try (GgufFile file = GgufFile.open(fused);
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1))) {
            GoldenComparison.Summary summary = new GoldenComparison.Summary();
            GoldenComparison.check(g, GoldenComparison.run(model, g, true), "fused gate_up", summary);
            System.out.printf("%-22s fused gate_up %s%n", g.name(), summary);
        }
    }

    /** The golden file with its split k_b/v_b merged back into attn_kv_b of {@code type}, and no *_mla keys. */
    static GgufWriter legacyWriter(GgufFile src, GgmlType type) {
        GgufWriter w = GgufRewrite.copy(src, k -> !k.endsWith("_mla"),
                t -> !t.contains("attn_k_b") && !t.contains("attn_v_b"));
        for (int l = 0; l < LAYERS; l++) {
            float[] kb = src.tensor("blk." + l + ".attn_k_b.weight").orElseThrow().segment().toArray(JAVA_FLOAT);
            float[] vb = src.tensor("blk." + l + ".attn_v_b.weight").orElseThrow().segment().toArray(JAVA_FLOAT);
            float[] kv = mergeKvb(kb, vb);
            long[] dims = {R, (long) HEADS * (NOPE + DV)};
            byte[] data;
            if (type == GgmlType.F32) {
                data = bytes(kv);
            } else {
                try (Arena arena = Arena.ofConfined()) {
                    int rows = HEADS * (NOPE + DV);
                    long rowBytes = type.bytesFor(R);
                    MemorySegment out = arena.allocate(rows * rowBytes);
                    for (int r = 0; r < rows; r++) {
                        ReferenceQuantizer.quantizeRow(type, kv, r * R, R, out, r * rowBytes);
                    }
                    data = out.toArray(JAVA_BYTE);
                }
            }
            w.tensor("blk." + l + ".attn_kv_b.weight", type, dims, data);
        }
        return w;
    }

    /** kv_b row h·(nope+dv) + d, column c = k_b[h][c][d]; row h·(nope+dv) + nope + j = v_b[h][j]. */
    static float[] mergeKvb(float[] kb, float[] vb) {
        int per = NOPE + DV;
        float[] kv = new float[HEADS * per * R];
        for (int h = 0; h < HEADS; h++) {
            for (int d = 0; d < NOPE; d++) {
                for (int c = 0; c < R; c++) {
                    kv[(h * per + d) * R + c] = kb[(h * R + c) * NOPE + d];
                }
            }
            System.arraycopy(vb, h * DV * R, kv, (h * per + NOPE) * R, DV * R);
        }
        return kv;
    }

    /** The inverse of {@link #mergeKvb}: spec §2.2's derivation, written independently of the model's. */
    static void splitKvb(float[] kv, float[] kb, float[] vb) {
        int per = NOPE + DV;
        for (int h = 0; h < HEADS; h++) {
            for (int c = 0; c < R; c++) {
                for (int d = 0; d < NOPE; d++) {
                    kb[(h * R + c) * NOPE + d] = kv[(h * per + d) * R + c];
                }
            }
            for (int j = 0; j < DV; j++) {
                System.arraycopy(kv, (h * per + NOPE + j) * R, vb, (h * DV + j) * R, R);
            }
        }
    }

    static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }
}
