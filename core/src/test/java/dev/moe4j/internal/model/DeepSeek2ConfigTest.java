package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.model.arch.DeepSeek2;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.internal.nativeio.RopeParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** deepseek2 hyper-parameters from metadata: the real V3 / V2-Lite values of spec §1-§3 and llama.cpp's defaults. */
class DeepSeek2ConfigTest {
    @TempDir
    Path dir;

    /** V3 / R1 metadata as the current converter writes it (gguf-format.md §2.1). */
    static Meta v3() {
        String p = "deepseek2.";
        return new Meta().putString("general.architecture", "deepseek2")
                .putUInt32(p + "block_count", 61).putUInt32(p + "context_length", 163840)
                .putUInt32(p + "embedding_length", 7168).putUInt32(p + "feed_forward_length", 18432)
                .putUInt32(p + "attention.head_count", 128).putUInt32(p + "attention.head_count_kv", 1)
                .putFloat32(p + "attention.layer_norm_rms_epsilon", 1e-6f)
                .putUInt32(p + "attention.q_lora_rank", 1536).putUInt32(p + "attention.kv_lora_rank", 512)
                .putUInt32(p + "attention.key_length", 576).putUInt32(p + "attention.value_length", 512)
                .putUInt32(p + "attention.key_length_mla", 192).putUInt32(p + "attention.value_length_mla", 128)
                .putUInt32(p + "rope.dimension_count", 64).putFloat32(p + "rope.freq_base", 10000f)
                .putString(p + "rope.scaling.type", "yarn").putFloat32(p + "rope.scaling.factor", 40f)
                .putUInt32(p + "rope.scaling.original_context_length", 4096)
                .putFloat32(p + "rope.scaling.yarn_log_multiplier", 0.1f)
                .putUInt32(p + "leading_dense_block_count", 3).putUInt32(p + "vocab_size", 129280)
                .putUInt32(p + "expert_count", 256).putUInt32(p + "expert_used_count", 8)
                .putUInt32(p + "expert_shared_count", 1).putUInt32(p + "expert_feed_forward_length", 2048)
                .putFloat32(p + "expert_weights_scale", 2.5f).putBool(p + "expert_weights_norm", true)
                .putUInt32(p + "expert_gating_func", 2).putUInt32(p + "expert_group_count", 8)
                .putUInt32(p + "expert_group_used_count", 4);
    }

    DeepSeek2.Config read(Meta m, boolean qCompressed) throws IOException {
        Path f = m.writer().write(dir.resolve("m" + System.nanoTime() + ".gguf"));
        try (GgufFile file = GgufFile.open(f)) {
            return DeepSeek2.read(file.metadata(), qCompressed, f.toString());
        }
    }

    @Test
    void deepSeekV3() throws IOException {
        DeepSeek2.Config c = read(v3(), true);
        assertEquals(0.135234, c.kqScale(), 1e-6); // spec §3.2: 192^-0.5 · (1 + 0.1 ln 40)²
        assertEquals(128, c.nopeDim());
        assertEquals(576, c.cacheWidth());
        assertEquals(1536, c.qLoraRank());
        assertEquals(ExpertGating.SIGMOID, c.gating());
        assertEquals(8, c.groups());
        assertEquals(4, c.groupsUsed());
        assertTrue(c.weightsNorm());
        assertEquals(2.5f, c.weightsScale());
        RopeParams r = c.rope();
        assertEquals(RopeParams.MODE_NORM, r.mode());
        assertEquals(1f / 40, r.freqScale());
        assertEquals(1f, r.extFactor());
        assertEquals(4096, r.nCtxOrig());
        assertEquals(32f, r.betaFast());
        assertEquals(1f, r.betaSlow());
        // ggml multiplies cos/sin by (1 + 0.1 ln 40) under YaRN; the net magnitude on q_pe/k_pe must be 1
        assertEquals(1.0, r.attnFactor() * (1 + 0.1 * Math.log(40)), 1e-6);
    }

    @Test
    void deepSeekV2Lite() throws IOException {
        String p = "deepseek2.";
        DeepSeek2.Config c = read(v3().putFloat32(p + "rope.scaling.yarn_log_multiplier", 0.0707f), false);
        assertEquals(0.114721, c.kqScale(), 2e-6); // spec §3.2 with mscale_all_dim 0.707
        assertEquals(0, c.qLoraRank());
        assertEquals(1.0, c.rope().attnFactor() * (1 + 0.1 * Math.log(40)), 1e-6);
    }

    @Test
    void olderV3FileWithoutGroupKeysStillRoutesBy8GroupsOf4() throws IOException {
        DeepSeek2.Config c = read(without(v3(), "deepseek2.expert_group_count", "deepseek2.expert_group_used_count"),
                true);
        assertEquals(8, c.groups());
        assertEquals(4, c.groupsUsed());
    }

    @Test
    void llamaCppDefaultsForAbsentKeys() throws IOException {
        DeepSeek2.Config c = read(without(v3(), "deepseek2.expert_gating_func", "deepseek2.expert_weights_norm",
                "deepseek2.expert_weights_scale", "deepseek2.rope.scaling.type", "deepseek2.rope.scaling.factor",
                "deepseek2.rope.scaling.yarn_log_multiplier", "deepseek2.expert_group_count",
                "deepseek2.expert_group_used_count"), true);
        assertEquals(ExpertGating.SOFTMAX, c.gating());
        assertEquals(false, c.weightsNorm());
        assertEquals(0f, c.weightsScale());
        assertEquals(1, c.groups()); // softmax gating: not V3-shaped
        assertEquals(1f, c.rope().freqScale());
        assertEquals(0f, c.rope().extFactor());
        assertEquals(1f, c.rope().attnFactor());
        assertEquals(1 / Math.sqrt(192), c.kqScale(), 1e-7);
    }

    @Test
    void legacyKeysGiveTheMlaHeadSizes() throws IOException {
        DeepSeek2.Config c = read(replace(replace(without(v3(), "deepseek2.attention.key_length_mla",
                "deepseek2.attention.value_length_mla"), "deepseek2.attention.key_length", 192L),
                "deepseek2.attention.value_length", 128L), true);
        assertEquals(192, c.headDimK());
        assertEquals(128, c.headDimV());
    }

    @Test
    void inconsistentMetadataIsRefusedByName() throws IOException {
        assertRefused(w -> replace(w, "deepseek2.expert_gating_func", 3L), "expert_gating_func");
        assertRefused(w -> replace(w, "deepseek2.expert_group_count", 3L), "groups");
        assertRefused(w -> replace(w, "deepseek2.expert_group_used_count", 0L), "groups");
        assertRefused(w -> replace(w, "deepseek2.attention.key_length_mla", 64L), "key length");
        assertRefused(w -> replace(w, "deepseek2.attention.head_count", 0L), "head_count");
        assertRefused(w -> without(w, "deepseek2.attention.kv_lora_rank"), "kv_lora_rank");
    }

    private void assertRefused(Consumer<Meta> edit, String mention) {
        Meta w = v3();
        edit.accept(w);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> read(w, true));
        assertTrue(e.getMessage().contains(mention), e.getMessage());
    }

    static Meta without(Meta m, String... keys) {
        for (String k : keys) {
            m.values.remove(k);
        }
        return m;
    }

    /** Replaces an integer key's value, keeping its UINT32 type. */
    static Meta replace(Meta m, String key, long value) {
        return m.putUInt32(key, value);
    }

    /** Metadata being edited: key → (type, value), in insertion order. */
    static final class Meta {
        final Map<String, Object[]> values = new LinkedHashMap<>();

        Meta put(String key, GgufValueType type, Object value) {
            values.put(key, new Object[] {type, value});
            return this;
        }

        Meta putString(String key, String v) {
            return put(key, GgufValueType.STRING, v);
        }

        Meta putUInt32(String key, long v) {
            return put(key, GgufValueType.UINT32, v);
        }

        Meta putFloat32(String key, float v) {
            return put(key, GgufValueType.FLOAT32, v);
        }

        Meta putBool(String key, boolean v) {
            return put(key, GgufValueType.BOOL, v);
        }

        GgufWriter writer() {
            GgufWriter w = new GgufWriter();
            values.forEach((k, v) -> w.put(k, (GgufValueType) v[0], v[1]));
            return w;
        }
    }
}
