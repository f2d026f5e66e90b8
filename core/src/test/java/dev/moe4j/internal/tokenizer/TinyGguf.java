package dev.moe4j.internal.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes GGUF v3 files that hold only metadata (no tensors), enough to exercise the tokenizer loader with valid and
 * deliberately broken tokenizer metadata. (The GGUF reader's own writer is package-private to its tests.)
 */
final class TinyGguf {
    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private int count;

    TinyGguf string(String key, String value) {
        key(key, 8);
        str(value);
        return this;
    }

    TinyGguf u32(String key, int value) {
        key(key, 4);
        i32(value);
        return this;
    }

    TinyGguf bool(String key, boolean value) {
        key(key, 7);
        kv.write(value ? 1 : 0);
        return this;
    }

    TinyGguf strings(String key, List<String> values) {
        key(key, 9);
        i32(8);
        i64(values.size());
        values.forEach(this::str);
        return this;
    }

    TinyGguf i32s(String key, int[] values) {
        key(key, 9);
        i32(5);
        i64(values.length);
        for (int v : values) {
            i32(v);
        }
        return this;
    }

    TinyGguf f32s(String key, float[] values) {
        key(key, 9);
        i32(6);
        i64(values.length);
        for (float v : values) {
            i32(Float.floatToRawIntBits(v));
        }
        return this;
    }

    Path write(Path file) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        header.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(count);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(header.array());
        kv.writeTo(all);
        Files.write(file, all.toByteArray());
        return file;
    }

    private void key(String key, int type) {
        str(key);
        i32(type);
        count++;
    }

    private void str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(b.length);
        kv.writeBytes(b);
    }

    private void i32(int v) {
        kv.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private void i64(long v) {
        kv.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }
}
