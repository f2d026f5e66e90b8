package dev.moe4j;

import dev.moe4j.internal.generate.DecodingSession;

import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The model's inference states kept between requests, so that a request whose prompt starts like a recent one (the
 * same system prompt, the same file before the cursor, the conversation so far) computes only the rest, as llama.cpp's
 * server does with {@code cache_prompt}.
 *
 * <p>Up to {@code maxEntries} idle states are kept, each with the tokens it holds, least recently used first out. A
 * run takes the idle state sharing the longest prefix with its prompt (of those large enough for it) and truncates it
 * there; when none shares any prefix it takes a fresh state, or recycles the least recently used one when the cache is
 * full. A run holds its state alone; at the end it returns it with the prompt and output it now holds. States are
 * sized for what a run needs ({@link #capacityFor}), so their KV caches are smaller than the full context unless the
 * prompts are long. Thread-safe.
 */
final class PromptCache {
    /** States are sized in steps of this many tokens, so that similar requests can share them. */
    static final int CAPACITY_STEP = 1024;

    /** An idle state and the tokens in it ({@code tokens.length == session.position()}). */
    private record Entry(DecodingSession session, int[] tokens) {
    }

    /** A state lent to one run. */
    record Lease(DecodingSession session, int reused) {
    }

    private final Model model;
    private final int maxEntries;
    private final ArrayDeque<Entry> idle = new ArrayDeque<>(); // least recently used first
    private boolean closed;

    /** @param maxEntries idle states to keep, 0 to keep none (every run starts from an empty state) */
    PromptCache(Model model, int maxEntries) {
        this.model = model;
        this.maxEntries = maxEntries;
    }

    /** Tokens a state for a prompt of {@code promptTokens} and {@code maxTokens} of output is made with. */
    static int capacityFor(int promptTokens, int maxTokens, int contextLength) {
        long need = (long) promptTokens + maxTokens;
        long stepped = (need + CAPACITY_STEP - 1) / CAPACITY_STEP * CAPACITY_STEP;
        return (int) Math.min(contextLength, Math.max(1, stepped));
    }

    /**
     * A state for {@code prompt}, holding the longest prefix of it that an idle state held.
     *
     * @param capacity tokens the state must be able to hold ({@link #capacityFor})
     */
    Lease acquire(int[] prompt, int capacity) {
        Entry chosen = null;
        int keep = 0;
        synchronized (this) {
            for (Entry e : idle) {
                if (e.session.capacity() < capacity) {
                    continue;
                }
                int common = commonPrefix(e.tokens, prompt);
                if (common > keep || (common == keep && common > 0)) { // later entries are more recent
                    keep = common;
                    chosen = e;
                }
            }
            if (chosen == null && idle.size() >= maxEntries && maxEntries > 0) {
                for (Entry e : idle) { // recycle the least recently used state that is large enough (keep stays 0)
                    if (e.session.capacity() >= capacity) {
                        chosen = e;
                        break;
                    }
                }
            }
            if (chosen != null) {
                idle.remove(chosen);
            }
        }
        if (chosen == null) {
            return new Lease(model.openSession(capacity), 0);
        }
        chosen.session.truncate(keep);
        return new Lease(chosen.session, chosen.session.position()); // a windowed cache may resume earlier
    }

    /**
     * Returns a state after a run that ended normally.
     *
     * @param tokens the tokens the run put through the model, in order (prompt, then output); the state holds the
     *               first {@code session.position()} of them
     */
    void release(DecodingSession session, int[] tokens) {
        int held = session.position();
        if (held > tokens.length) {
            discard(session); // cannot tell what the state holds
            return;
        }
        Entry evicted = null;
        synchronized (this) {
            if (closed || maxEntries == 0) {
                evicted = new Entry(session, tokens);
            } else {
                idle.addLast(new Entry(session, Arrays.copyOf(tokens, held)));
                if (idle.size() > maxEntries) {
                    evicted = idle.removeFirst();
                }
            }
        }
        if (evicted != null) {
            evicted.session.close();
        }
    }

    /** Frees a state whose contents are not known (the run failed or was dropped). */
    void discard(DecodingSession session) {
        session.close();
    }

    /** Idle states now. */
    synchronized int size() {
        return idle.size();
    }

    /** Frees every idle state and keeps none from now on (the model is closing). */
    void close() {
        ArrayDeque<Entry> drop;
        synchronized (this) {
            closed = true;
            drop = new ArrayDeque<>(idle);
            idle.clear();
        }
        for (Entry e : drop) {
            e.session.close();
        }
    }

    /** Length of the common prefix of two token sequences. */
    static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int mismatch = Arrays.mismatch(a, 0, n, b, 0, n);
        return mismatch < 0 ? n : mismatch;
    }
}
