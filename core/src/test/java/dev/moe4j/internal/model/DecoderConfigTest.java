package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.DeepSeek2ConfigTest.Meta;
import dev.moe4j.internal.nativeio.RopeParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

import static dev.moe4j.internal.model.DeepSeek2ConfigTest.without;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The common GQA-decoder hyper-parameters from metadata: real-model values, llama.cpp's defaults, refusals. */
class DecoderConfigTest {
    @TempDir
    Path dir;

    /** Qwen3-30B-A3B's metadata as its GGUF carries it. */
    static Meta qwen3moe() {
        String p = "qwen3moe.";
        return new Meta().putString("general.architecture", "qwen3moe").putString("general.name", "Qwen3-30B-A3B")
                .putUInt32(p + "block_count", 48).putUInt32(p + "context_length", 40960)
                .putUInt32(p + "embedding_length", 2048).putUInt32(p + "feed_forward_length", 6144)
                .putUInt32(p + "attention.head_count", 32).putUInt32(p + "attention.head_count_kv", 4)
                .putUInt32(p + "attention.key_length", 128).putUInt32(p + "attention.value_length", 128)
                .putFloat32(p + "attention.layer_norm_rms_epsilon", 1e-6f).putFloat32(p + "rope.freq_base", 1e6f)
                .putUInt32(p + "expert_count", 128).putUInt32(p + "expert_used_count", 8)
                .putUInt32(p + "expert_feed_forward_length", 768);
    }

    HyperParams read(Meta m, String arch, int mode) throws IOException {
        Path f = m.writer().write(dir.resolve("m" + System.nanoTime() + ".gguf"));
        try (GgufFile file = GgufFile.open(f)) {
            return HyperParams.read(file.metadata(), arch, mode, Float.NaN, f.toString())
                    .requireRopeWithinHead(file.metadata(), f.toString());
        }
    }

    @Test
    void qwen3MoeValues() throws IOException {
        HyperParams c = read(qwen3moe(), "qwen3moe", RopeParams.MODE_NEOX);
        assertEquals("Qwen3-30B-A3B", c.name());
        assertEquals(48, c.layers());
        assertEquals(32, c.heads());
        assertEquals(4, c.headsKv());
        assertEquals(8, c.groupSize());
        assertEquals(128, c.headDimK()); // explicit: not 2048 / 32 = 64
        assertEquals(128, c.headDimV());
        assertEquals(512, c.kvWidthK());
        assertEquals(128, c.ropeDim());
        assertEquals(1 / Math.sqrt(128), c.kqScale(), 1e-7);
        assertEquals(128, c.experts());
        assertEquals(8, c.expertsUsed());
        assertEquals(768, c.expertWidth());
        assertEquals(0, c.sharedWidth());
        assertEquals(6144, c.ffnWidth());
        assertTrue(c.moe());
        RopeParams r = c.rope();
        assertEquals(RopeParams.MODE_NEOX, r.mode());
        assertEquals(1e6f, r.freqBase());
        assertEquals(1f, r.freqScale());
        assertEquals(0f, r.extFactor());
        assertEquals(1f, r.attnFactor());
    }

    @Test
    void llamaCppDefaultsForAbsentKeys() throws IOException {
        String p = "qwen3moe.";
        HyperParams c = read(without(qwen3moe(), p + "attention.head_count_kv", p + "attention.key_length",
                p + "attention.value_length", p + "rope.freq_base", p + "expert_count", p + "expert_used_count",
                p + "expert_feed_forward_length", "general.name"), "qwen3moe", RopeParams.MODE_NORM);
        assertEquals(32, c.headsKv());
        assertEquals(64, c.headDimK()); // embedding_length / head_count
        assertEquals(64, c.headDimV());
        assertEquals(64, c.ropeDim());
        assertEquals(10000f, c.rope().freqBase());
        assertEquals(RopeParams.MODE_NORM, c.rope().mode());
        assertEquals("", c.name());
        assertFalse(c.moe());
        assertEquals(0, c.expertWidth());
        assertEquals(1 / Math.sqrt(64), c.kqScale(), 1e-7);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> c.requireExperts("f"));
        assertTrue(e.getMessage().contains("expert_count"), e.getMessage());
    }

    @Test
    void ropeScalingAndAttentionScale() throws IOException {
        String p = "qwen3moe.";
        HyperParams linear = read(qwen3moe().putString(p + "rope.scaling.type", "linear")
                .putFloat32(p + "rope.scaling.factor", 4f).putFloat32(p + "attention.scale", 0.05f), "qwen3moe",
                RopeParams.MODE_NEOX);
        assertEquals(0.25f, linear.rope().freqScale());
        assertEquals(0f, linear.rope().extFactor());
        assertEquals(0.05f, linear.kqScale());
        HyperParams yarn = read(qwen3moe().putString(p + "rope.scaling.type", "yarn")
                .putFloat32(p + "rope.scaling.factor", 4f).putUInt32(p + "rope.scaling.original_context_length", 32768),
                "qwen3moe", RopeParams.MODE_NEOX);
        assertEquals(0.25f, yarn.rope().freqScale());
        assertEquals(1f, yarn.rope().extFactor());
        assertEquals(32768, yarn.rope().nCtxOrig());
        assertEquals(32f, yarn.rope().betaFast());
        assertEquals(1f, yarn.rope().betaSlow());
    }

    @Test
    void inconsistentMetadataIsRefusedByName() {
        String p = "qwen3moe.";
        assertRefused(m -> m.putUInt32(p + "attention.head_count_kv", 5), "head_count_kv");
        assertRefused(m -> without(m, p + "attention.key_length").putUInt32(p + "attention.head_count", 36),
                "key_length");
        assertRefused(m -> m.putUInt32(p + "rope.dimension_count", 129), "rope.dimension_count");
        assertRefused(m -> m.putUInt32(p + "rope.dimension_count", 130), "rope.dimension_count");
        assertRefused(m -> m.putString(p + "rope.scaling.type", "longrope"), "rope.scaling.type");
        assertRefused(m -> without(m, p + "attention.layer_norm_rms_epsilon"), "layer_norm_rms_epsilon");
        assertRefused(m -> m.putFloat32(p + "attention.layer_norm_rms_epsilon", 0f), "layer_norm_rms_epsilon");
        assertRefused(m -> m.putUInt32(p + "expert_used_count", 129), "expert_used_count");
        assertRefused(m -> m.putUInt32(p + "attention.head_count", 0), "head_count");
        assertRefused(m -> without(m, p + "block_count"), "block_count");
    }

    private void assertRefused(Consumer<Meta> edit, String mention) {
        Meta m = qwen3moe();
        edit.accept(m);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> read(m, "qwen3moe", RopeParams.MODE_NEOX));
        assertTrue(e.getMessage().contains(mention), e.getMessage());
    }
}
