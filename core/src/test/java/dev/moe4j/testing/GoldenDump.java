package dev.moe4j.testing;

import dev.moe4j.internal.quant.GgmlType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensor table of a golden folder's {@code gguf_dump.txt}: one line per tensor,
 * {@code <name> <TYPE> [ne0, ne1, ...] offset <absolute file offset> bytes <size>}. The offsets are absolute file
 * offsets (the first tensor's offset is the data section start, and the last tensor ends exactly at the end of the
 * file in every folder), which {@link #check} verifies against the model file and the type's block geometry.
 *
 * <p>Lets tests locate tensor bytes without depending on the production GGUF reader.
 */
public final class GoldenDump {
    /** One tensor: dims ne0-first (ne0 = row length), data at {@code offset} (absolute) spanning {@code bytes}. */
    public record Tensor(String name, GgmlType type, long[] dims, long offset, long bytes) {
        public long rowLength() {
            return dims[0];
        }

        public long elements() {
            return Arrays.stream(dims).reduce(1, Math::multiplyExact);
        }
    }

    private static final Pattern LINE =
            Pattern.compile("^(\\S+) (\\w+) \\[([0-9, ]+)] offset (\\d+) bytes (\\d+)$");

    private final Map<String, Tensor> tensors;

    private GoldenDump(Map<String, Tensor> tensors) {
        this.tensors = tensors;
    }

    public static GoldenDump read(Path dumpFile) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dumpFile)) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                continue; // a metadata line
            }
            GgmlType type = GgmlType.valueOf(m.group(2));
            long[] dims = Arrays.stream(m.group(3).split(",")).map(String::strip).mapToLong(Long::parseLong).toArray();
            Tensor t = new Tensor(m.group(1), type, dims, Long.parseLong(m.group(4)), Long.parseLong(m.group(5)));
            out.put(t.name(), t);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(dumpFile + ": no tensor lines");
        }
        return new GoldenDump(out);
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' in the dump");
        }
        return t;
    }

    /**
     * Throws unless the table is consistent with a model file of {@code fileSize} bytes: every tensor's byte count
     * matches its type and dims and lies inside the file, and the last one ends at the end of the file (which is what
     * makes the offsets absolute rather than relative to the data section).
     */
    public void check(long fileSize) {
        long end = 0;
        for (Tensor t : tensors.values()) {
            if (t.bytes() != t.type().bytesFor(t.elements())) {
                throw new IllegalStateException(t.name() + ": " + t.bytes() + " bytes, but " + t.type() + " "
                        + Arrays.toString(t.dims()) + " needs " + t.type().bytesFor(t.elements()));
            }
            if (t.offset() < 0 || t.offset() + t.bytes() > fileSize) {
                throw new IllegalStateException(t.name() + ": [" + t.offset() + ", " + (t.offset() + t.bytes())
                        + ") is outside the file (" + fileSize + " bytes)");
            }
            end = Math.max(end, t.offset() + t.bytes());
        }
        if (end != fileSize) {
            throw new IllegalStateException("tensors end at " + end + ", the file at " + fileSize
                    + ": offsets are not absolute");
        }
    }
}
