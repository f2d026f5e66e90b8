package dev.moe4j.internal.gguf;

import dev.moe4j.internal.quant.GgmlType;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Builders of valid GGUF files used by several tests. */
final class GgufFixtures {
    private GgufFixtures() {
    }

    /** The tensors of {@link #rich}: name, type, dims. Odd and even sizes, 1 to 4 dims, scalar and block types. */
    record Spec(String name, GgmlType type, long[] dims) {
    }

    static final List<Spec> TENSORS = List.of(
            new Spec("token_embd.weight", GgmlType.F32, new long[] {7, 5}),
            new Spec("blk.0.attn_norm.weight", GgmlType.F32, new long[] {7}),
            new Spec("blk.0.ffn_gate_exps.weight", GgmlType.Q8_0, new long[] {64, 3, 4}),
            new Spec("blk.0.ffn_down_exps.weight", GgmlType.Q4_K, new long[] {256, 2, 4}),
            new Spec("blk.0.f16.weight", GgmlType.F16, new long[] {9, 3, 1, 2}),
            new Spec("output.weight", GgmlType.Q6_K, new long[] {512, 3}));

    /**
     * Every metadata value type as a scalar and as an array (plus empty arrays and non-ASCII strings), and
     * {@link #TENSORS} filled with bytes from {@code seed}.
     */
    static GgufWriter rich(long seed) {
        Random rnd = new Random(seed);
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "deepseek2");
        w.putString("general.name", "tiny \u00e9\u4e2d\ud83d\ude00 model");
        w.put("t.u8", GgufValueType.UINT8, 200);
        w.put("t.i8", GgufValueType.INT8, -100);
        w.put("t.u16", GgufValueType.UINT16, 60000);
        w.put("t.i16", GgufValueType.INT16, -30000);
        w.put("t.u32", GgufValueType.UINT32, 4_000_000_000L);
        w.put("t.i32", GgufValueType.INT32, -2_000_000_000);
        w.put("t.f32", GgufValueType.FLOAT32, 1.5e-6f);
        w.put("t.bool", GgufValueType.BOOL, true);
        w.put("t.u64", GgufValueType.UINT64, new BigInteger("18000000000000000000"));
        w.put("t.i64", GgufValueType.INT64, -9_000_000_000_000_000_000L);
        w.put("t.f64", GgufValueType.FLOAT64, Math.PI);
        w.put("t.small_u32", GgufValueType.UINT32, 7);
        w.putArray("t.arr.u8", GgufValueType.UINT8, List.of(0, 1, 255));
        w.putArray("t.arr.i8", GgufValueType.INT8, List.of(-128, 0, 127));
        w.putArray("t.arr.u16", GgufValueType.UINT16, List.of(65535, 3));
        w.putArray("t.arr.i16", GgufValueType.INT16, List.of(-32768, 32767));
        w.putArray("t.arr.u32", GgufValueType.UINT32, List.of(1L, 4_294_967_295L));
        w.putArray("t.arr.i32", GgufValueType.INT32, List.of(-5, 6, 7));
        w.putArray("t.arr.f32", GgufValueType.FLOAT32, List.of(0.25f, -1e30f, Float.MIN_VALUE));
        w.putArray("t.arr.bool", GgufValueType.BOOL, List.of(true, false, true));
        w.putArray("t.arr.str", GgufValueType.STRING, List.of("", "a b", "\u0120the", "<\uff5cUser\uff5c>"));
        w.putArray("t.arr.u64", GgufValueType.UINT64, List.of(1L, new BigInteger("18446744073709551615")));
        w.putArray("t.arr.i64", GgufValueType.INT64, List.of(Long.MIN_VALUE, 42L));
        w.putArray("t.arr.f64", GgufValueType.FLOAT64, List.of(1e300, -0.5));
        w.putArray("t.arr.empty", GgufValueType.INT32, List.of());
        List<String> vocab = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            vocab.add("tok" + i + (i % 7 == 0 ? "\u00df" : ""));
        }
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, vocab);
        for (Spec s : TENSORS) {
            byte[] data = new byte[(int) GgufWriter.bytesOf(s.type(), s.dims())];
            rnd.nextBytes(data);
            w.tensor(s.name(), s.type(), s.dims(), data);
        }
        return w;
    }

    /** A small valid file: a few keys and two tensors. */
    static GgufWriter small() {
        Random rnd = new Random(7);
        byte[] a = new byte[4 * 6 * 3];
        byte[] b = new byte[34 * 2];
        rnd.nextBytes(a);
        rnd.nextBytes(b);
        return new GgufWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.block_count", 1)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, List.of("a", "b", "c"))
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, List.of(1, 1, 3))
                .tensor("a.weight", GgmlType.F32, new long[] {6, 3}, a)
                .tensor("b.weight", GgmlType.Q8_0, new long[] {32, 2}, b);
    }
}
