package dev.moe4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a 1-D float32 array as a NumPy {@code .npy} file (format version 1.0): magic, a little-endian header length,
 * a Python-dict header padded with spaces to a multiple of 64 bytes and ending in a newline, then the raw data.
 */
final class NpyWriter {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};

    private NpyWriter() {}

    static void writeFloat32(Path file, float[] values) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + values.length + ",), }";
        int unpadded = MAGIC.length + 2 + dict.length() + 1; // + the closing newline
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        ByteBuffer data = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(MAGIC);
            int len = header.length();
            out.write(len & 0xff);
            out.write(len >>> 8);
            out.write(header.getBytes(StandardCharsets.US_ASCII));
            out.write(data.array());
        }
    }
}
