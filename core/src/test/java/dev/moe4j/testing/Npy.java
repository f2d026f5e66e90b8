package dev.moe4j.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A NumPy {@code .npy} array read whole into memory: format versions 1.0, 2.0 and 3.0, little-endian float32, float64
 * or int32 in C order (what the golden files use). Anything else (big-endian, Fortran order, other dtypes, a truncated
 * file) is an {@link IllegalArgumentException} that names the file and the problem.
 *
 * <p>Format: magic {@code \x93NUMPY}, major and minor version bytes, header length (uint16 LE in v1, uint32 LE in v2/v3),
 * then a Python dict literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (32, 256), }} padded with spaces
 * and a newline (latin-1 in v1/v2, UTF-8 in v3), then the raw data.
 */
public final class Npy {
    /** The element types this reader accepts, with their npy {@code descr} (little-endian). */
    public enum DType {
        F32("<f4", 4), F64("<f8", 8), I32("<i4", 4);

        final String descr;
        final int bytes;

        DType(String descr, int bytes) {
            this.descr = descr;
            this.bytes = bytes;
        }
    }

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private final DType dtype;
    private final long[] shape;
    private final ByteBuffer data;

    private Npy(DType dtype, long[] shape, ByteBuffer data) {
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    public static Npy read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Parses the bytes of a whole .npy file; {@code name} only labels error messages. */
    public static Npy parse(byte[] bytes, String name) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || !Arrays.equals(bytes, 0, 6, MAGIC, 0, 6)) {
            throw bad(name, "not an .npy file (no \\x93NUMPY magic)");
        }
        int major = bytes[6];
        long headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(buf.getShort(8));
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw bad(name, "truncated header length");
            }
            headerLen = Integer.toUnsignedLong(buf.getInt(8));
            headerStart = 12;
        } else {
            throw bad(name, "unsupported format version " + major + "." + bytes[7]);
        }
        if (headerStart + headerLen > bytes.length) {
            throw bad(name, "header of " + headerLen + " bytes runs past the end of the file (" + bytes.length + " bytes)");
        }
        String header = new String(bytes, headerStart, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header, name, "descr");
        DType dtype = Arrays.stream(DType.values()).filter(t -> t.descr.equals(descr)).findFirst()
                .orElseThrow(() -> bad(name, "dtype '" + descr + "' is not one of <f4, <f8, <i4"));
        if (find(FORTRAN, header, name, "fortran_order").equals("True")) {
            throw bad(name, "Fortran-order arrays are not supported");
        }
        long[] shape = parseShape(find(SHAPE, header, name, "shape"), name);
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        long dataStart = headerStart + headerLen;
        long need = Math.multiplyExact(count, (long) dtype.bytes);
        if (bytes.length - dataStart != need) {
            throw bad(name, "shape " + Arrays.toString(shape) + " of " + descr + " needs " + need + " data bytes, file has "
                    + (bytes.length - dataStart));
        }
        ByteBuffer data = buf.slice((int) dataStart, (int) need).order(ByteOrder.LITTLE_ENDIAN);
        return new Npy(dtype, shape, data);
    }

    private static String find(Pattern p, String header, String name, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw bad(name, "header has no '" + key + "': " + header.strip());
        }
        return m.group(1);
    }

    private static long[] parseShape(String tuple, String name) {
        String[] parts = tuple.split(",");
        return Arrays.stream(parts).map(String::strip).filter(s -> !s.isEmpty()).mapToLong(s -> {
            try {
                long v = Long.parseLong(s);
                if (v < 0) {
                    throw bad(name, "negative dimension in shape (" + tuple + ")");
                }
                return v;
            } catch (NumberFormatException e) {
                throw bad(name, "bad shape (" + tuple + ")");
            }
        }).toArray();
    }

    private static IllegalArgumentException bad(String name, String what) {
        return new IllegalArgumentException(name + ": " + what);
    }

    public DType dtype() {
        return dtype;
    }

    /** The dimensions, outermost first ({@code ()} for a scalar). */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public int size() {
        return data.capacity() / dtype.bytes;
    }

    /** The elements of a float32 array, in C order. */
    public float[] floats() {
        require(DType.F32);
        float[] out = new float[size()];
        data.asFloatBuffer().get(out);
        return out;
    }

    /** The elements of a float32 or float64 array widened to double, in C order. */
    public double[] doubles() {
        double[] out = new double[size()];
        switch (dtype) {
            case F64 -> data.asDoubleBuffer().get(out);
            case F32 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = data.getFloat(4 * i);
                }
            }
            case I32 -> throw new IllegalStateException("int32 array read as doubles; use ints()");
        }
        return out;
    }

    /** The elements of an int32 array, in C order. */
    public int[] ints() {
        require(DType.I32);
        int[] out = new int[size()];
        data.asIntBuffer().get(out);
        return out;
    }

    private void require(DType want) {
        if (dtype != want) {
            throw new IllegalStateException("array is " + dtype + ", not " + want);
        }
    }
}
