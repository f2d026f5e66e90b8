package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufArray;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.gguf.GgufWriter;

import java.util.List;
import java.util.function.Predicate;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/** Copies a GGUF file's metadata and tensors into a {@link GgufWriter}, minus what the caller drops, to derive variants. */
final class GgufRewrite {
    private GgufRewrite() {}

    static GgufWriter copy(GgufFile src, Predicate<String> keepKey, Predicate<String> keepTensor) {
        GgufWriter w = new GgufWriter();
        GgufMetadata md = src.metadata();
        for (String key : md.keys()) {
            if (!keepKey.test(key) || key.equals("general.alignment")) {
                continue;
            }
            GgufValueType type = md.type(key);
            if (type == GgufValueType.ARRAY) {
                GgufArray a = md.getArray(key);
                w.putArray(key, a.elementType(), (List<?>) md.toJava(key));
            } else {
                w.put(key, type, md.toJava(key));
            }
        }
        for (GgufTensor t : src.tensors()) {
            if (keepTensor.test(t.name())) {
                w.tensor(t.name(), t.type(), t.dims(), t.segment().toArray(JAVA_BYTE));
            }
        }
        return w;
    }
}
