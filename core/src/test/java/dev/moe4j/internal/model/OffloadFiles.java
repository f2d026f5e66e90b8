package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gguf.GgufWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/** Test files for offloading. */
public final class OffloadFiles {
    private OffloadFiles() {}

    /**
     * A copy of {@code src} whose routed-expert tensors come last, the last MoE layer's at the very end, so cutting the
     * file at {@link #lastLayerExpertsStart} removes only expert bytes (everything mapped stays intact).
     */
    public static Path expertsLast(Path src, Path out) {
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = GgufRewrite.copy(f, k -> true, t -> !t.contains("_exps"));
            for (GgufTensor t : f.tensors()) {
                if (t.name().contains("_exps")) {
                    w.tensor(t.name(), t.type(), t.dims(), t.segment().toArray(JAVA_BYTE));
                }
            }
            return w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file offset where the last MoE layer's first expert tensor starts (in a file from {@link #expertsLast}). */
    public static long lastLayerExpertsStart(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            int last = -1;
            for (GgufTensor t : f.tensors()) {
                if (t.name().contains("_exps")) {
                    last = Math.max(last, Integer.parseInt(t.name().split("\\.")[1]));
                }
            }
            long start = Long.MAX_VALUE;
            long otherEnd = 0;
            for (GgufTensor t : f.tensors()) {
                if (t.name().startsWith("blk." + last + ".") && t.name().contains("_exps")) {
                    start = Math.min(start, t.fileOffset());
                } else {
                    otherEnd = Math.max(otherEnd, t.fileOffset() + t.byteSize());
                }
            }
            if (otherEnd > start) {
                throw new IllegalStateException("a non-expert tensor lies after the last layer's experts");
            }
            return start;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
