package dev.moe4j.internal.generate;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntUnaryOperator;

/**
 * Synthetic models for loop tests: the vocabulary is the 256 bytes plus {@link #EOS} and {@link #BOS}; a token's text
 * is its byte (so multi-byte characters span tokens). The logits either force a script (greedy then reproduces it) or
 * are pseudo-random per (position, previous token), which makes seeded sampling meaningful.
 */
final class FakeModel {
    static final int EOS = 256;
    static final int BOS = 257;
    static final int VOCAB = 258;

    private FakeModel() {}

    /** The UTF-8 bytes of {@code text} as token ids. */
    static int[] bytes(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xff;
        }
        return ids;
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** A session whose argmax after the prompt follows {@code script}, then repeats its last token. */
    static Session scripted(int promptLength, int capacity, int... script) {
        return new Session(capacity, (pos) -> {
            int i = Math.min(pos - promptLength, script.length - 1);
            return i < 0 ? 'x' : script[i];
        }, 0);
    }

    /** {@link #scripted} over a vocabulary of {@code vocab} ids (a real tokenizer's, with its special tokens). */
    static Session scriptedOver(int vocab, int promptLength, int capacity, int... script) {
        Session s = scripted(promptLength, capacity, script);
        s.vocab = vocab;
        return s;
    }

    /** A session with pseudo-random logits (a function of position and the previous token only). */
    static Session random(int capacity, long seed) {
        return new Session(capacity, null, seed);
    }

    static final class Session implements DecodingSession {
        final int capacity;
        final IntUnaryOperator forced;
        final long seed;
        int vocab = VOCAB;
        final List<Integer> tokens = new ArrayList<>();
        int forwardCalls;
        int forwardedTokens;
        volatile long sleepMillis;
        boolean closed;

        Session(int capacity, IntUnaryOperator forced, long seed) {
            this.capacity = capacity;
            this.forced = forced;
            this.seed = seed;
        }

        @Override
        public int vocabSize() {
            return vocab;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public int position() {
            return tokens.size();
        }

        @Override
        public void truncate(int position) {
            while (tokens.size() > position) {
                tokens.removeLast();
            }
        }

        @Override
        public void forward(int[] ids, int offset, int count, float[] logitsOut) {
            if (count < 1 || tokens.size() + count > capacity) {
                throw new IllegalStateException("forward of " + count + " at " + tokens.size() + " / " + capacity);
            }
            if (sleepMillis > 0) {
                try {
                    Thread.sleep(sleepMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            forwardCalls++;
            forwardedTokens += count;
            for (int i = 0; i < count; i++) {
                tokens.add(ids[offset + i]);
            }
            int pos = tokens.size();
            if (logitsOut == null) {
                return;
            }
            if (forced != null) {
                java.util.Arrays.fill(logitsOut, 0f);
                logitsOut[forced.applyAsInt(pos)] = 10f;
            } else {
                Random r = new Random(seed * 1_000_003L + pos * 7919L + tokens.getLast());
                for (int i = 0; i < logitsOut.length; i++) {
                    logitsOut[i] = (float) r.nextGaussian();
                }
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Decodes byte tokens into complete UTF-8 characters; EOS and BOS have no text. */
    static final class ByteDecoder implements PieceDecoder {
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        @Override
        public String push(int tokenId) {
            if (tokenId >= 256) {
                return "";
            }
            pending.write(tokenId);
            byte[] b = pending.toByteArray();
            int complete = completePrefix(b);
            String out = new String(b, 0, complete, StandardCharsets.UTF_8);
            pending.reset();
            pending.write(b, complete, b.length - complete);
            return out;
        }

        @Override
        public String flush() {
            String out = new String(pending.toByteArray(), StandardCharsets.UTF_8);
            pending.reset();
            return out;
        }

        /** Length of the longest prefix that does not end inside a multi-byte sequence. */
        private static int completePrefix(byte[] b) {
            for (int cut = b.length; cut >= 0; cut--) {
                CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT);
                try {
                    CharBuffer unused = d.decode(ByteBuffer.wrap(b, 0, cut));
                    return cut;
                } catch (CharacterCodingException e) {
                    // shorter
                }
            }
            return 0;
        }
    }
}
