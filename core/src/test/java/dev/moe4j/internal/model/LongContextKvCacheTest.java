package dev.moe4j.internal.model;

import dev.moe4j.internal.generate.ContextDefault;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Why DeepSeek-V4 exists: at a 128k-token context its KV cache fits on a machine where DeepSeek-V3's does not. The
 * files here carry the published dimensions' metadata only (no weights), which is all the per-token figure needs:
 * V3 caches 576 + 512 floats per token in each of 61 layers; V3.2 adds its indexer's 128; V4-Flash caches
 * (512 + 128)/4 floats in its 21 CSA layers, 512/128 in its 20 HCA layers and nothing per token in its 2 window-only
 * layers. On a 24 GiB machine (the development VMs) the default context of V4-Flash is its full 128k, V3's far less.
 */
class LongContextKvCacheTest {
    private static final long GIB = 1L << 30;
    private static final int CTX_128K = 131072;

    private static GgufWriter common(String arch, int layers, int heads, int ctx) {
        String a = arch + ".";
        return new GgufWriter().putString("general.architecture", arch).putUInt32(a + "block_count", layers)
                .putUInt32(a + "context_length", ctx).putUInt32(a + "embedding_length", arch.equals("deepseek4")
                        ? 4096 : 7168).putUInt32(a + "attention.head_count", heads)
                .putFloat32(a + "attention.layer_norm_rms_epsilon", 1e-6f).putUInt32(a + "expert_count", 256)
                .putUInt32(a + "expert_feed_forward_length", 2048).putUInt32(a + "expert_shared_count", 1);
    }

    private static GgufWriter v3(String arch) {
        String a = arch + ".";
        GgufWriter w = common(arch, 61, 128, 163840).putUInt32(a + "expert_used_count", 8)
                .putUInt32(a + "leading_dense_block_count", 3).putUInt32(a + "feed_forward_length", 18432)
                .putUInt32(a + "attention.head_count_kv", 1).putUInt32(a + "attention.q_lora_rank", 1536)
                .putUInt32(a + "attention.kv_lora_rank", 512).putUInt32(a + "rope.dimension_count", 64)
                .putUInt32(a + "attention.key_length", 576).putUInt32(a + "attention.value_length", 512)
                .putUInt32(a + "attention.key_length_mla", 192).putUInt32(a + "attention.value_length_mla", 128)
                .putUInt32(a + "expert_gating_func", 2).putUInt32(a + "expert_group_count", 8)
                .putUInt32(a + "expert_group_used_count", 4);
        if (arch.equals("deepseek32")) {
            w.putUInt32(a + "attention.indexer.head_count", 64).putUInt32(a + "attention.indexer.key_length", 128)
                    .putUInt32(a + "attention.indexer.top_k", 2048);
        }
        return w;
    }

    private static GgufWriter v4Flash() {
        String a = "deepseek4.";
        List<Integer> ratios = new ArrayList<>(List.of(0, 0));
        for (int l = 2; l < 43; l++) {
            ratios.add(l % 2 == 0 ? 4 : 128);
        }
        ratios.add(0); // the NextN block
        return common("deepseek4", 44, 64, 1048576).putUInt32(a + "nextn_predict_layers", 1)
                .putUInt32(a + "expert_used_count", 6).putUInt32(a + "attention.head_count_kv", 1)
                .putUInt32(a + "attention.key_length", 512).putUInt32(a + "attention.value_length", 512)
                .putUInt32(a + "rope.dimension_count", 64).putUInt32(a + "attention.q_lora_rank", 1024)
                .putUInt32(a + "attention.sliding_window", 128).putUInt32(a + "attention.output_group_count", 8)
                .putUInt32(a + "attention.output_lora_rank", 1024).putUInt32(a + "attention.indexer.head_count", 64)
                .putUInt32(a + "attention.indexer.key_length", 128).putUInt32(a + "attention.indexer.top_k", 512)
                .putArray(a + "attention.compress_ratios", GgufValueType.UINT32, ratios)
                .putUInt32(a + "hyper_connection.count", 4).putUInt32(a + "hyper_connection.sinkhorn_iterations", 20)
                .putUInt32(a + "expert_gating_func", 4).putUInt32(a + "hash_layer_count", 3)
                .putArray(a + "swiglu_clamp_exp", GgufValueType.FLOAT32, Collections.nCopies(44, 10f));
    }

    private static long perToken(GgufWriter w, Path file) throws IOException {
        w.write(file);
        try (GgufFile f = GgufFile.open(file)) {
            return KvCacheSize.perToken(f).orElseThrow();
        }
    }

    @Test
    void v4FlashFitsA128kContextWhereV3DoesNot(@TempDir Path dir) throws IOException {
        long v3 = perToken(v3("deepseek2"), dir.resolve("v3.gguf"));
        long v32 = perToken(v3("deepseek32"), dir.resolve("v32.gguf"));
        long v4 = perToken(v4Flash(), dir.resolve("v4.gguf"));
        assertEquals(61L * (576 + 512) * 4, v3);
        assertEquals(61L * (576 + 512 + 128) * 4, v32);
        assertEquals((21L * (512 + 128) / 4 + 20L * 512 / 128) * 4, v4);

        long machine = 24 * GIB;
        assertTrue(CTX_128K * v4 < 2 * GIB, "V4-Flash at 128k: " + CTX_128K * v4);
        assertTrue(CTX_128K * v3 > machine, "V3 at 128k: " + CTX_128K * v3);
        // the default context with the experts offloaded into 8 GiB, one session, a 2 GiB heap
        assertEquals(CTX_128K, ContextDefault.choose(CTX_128K, v4, 1, machine, 2 * GIB, 8 * GIB).contextLength());
        assertTrue(ContextDefault.choose(CTX_128K, v3, 1, machine, 2 * GIB, 8 * GIB).contextLength() < CTX_128K / 4);
    }
}
