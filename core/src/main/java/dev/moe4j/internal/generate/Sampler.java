package dev.moe4j.internal.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from a row of logits, in llama.cpp's default order: repetition penalty → top-k → top-p → min-p →
 * temperature → a seeded draw from the softmax. With temperature 0 it is greedy: the penalised argmax, lowest id on ties.
 *
 * <p>Filters follow llama.cpp's semantics: top-k with k = 0 keeps everything; top-p takes the softmax of the candidates
 * left by top-k, sorts them by probability and keeps the shortest prefix whose cumulative probability reaches p (always
 * at least one token); min-p keeps the tokens whose logit is at least {@code max + ln(minP)}, i.e. whose probability is at
 * least minP times the best one's; temperature divides what is left. Candidates with equal logits are ordered by id, so
 * a seed always gives the same tokens.
 *
 * <p>Not thread-safe: one sampler belongs to one generation. Its working buffers are sized on first use to the vocabulary
 * and reused for every token.
 */
public final class Sampler {
    /** How many candidates top-p sorts before falling back to sorting the whole vocabulary. */
    private static final int TOP_P_FIRST_PASS = 256;

    private final SamplingParams params;
    private final RandomGenerator random;

    /** The last {@code repetitionLastN} accepted tokens, oldest first once the ring wraps. */
    private final int[] recent;
    private int recentCount;
    private int recentNext;

    private float[] work = new float[0];
    private int[] seenStamp = new int[0];
    private int stamp;
    private long[] keys = new long[0];
    private int[] ids = new int[0];
    private float[] vals = new float[0];
    private double[] probs = new double[0];

    public Sampler(SamplingParams params, long seed) {
        this.params = params;
        this.random = new SplittableRandom(seed);
        this.recent = new int[params.repetitionLastN()];
    }

    public SamplingParams params() {
        return params;
    }

    /** Records a token (from the prompt or generated) for the repetition penalty. */
    public void accept(int token) {
        if (recent.length == 0) {
            return;
        }
        recent[recentNext] = token;
        recentNext = (recentNext + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    public void acceptAll(int[] tokens) {
        for (int t : tokens) {
            accept(t);
        }
    }

    /**
     * Chooses a token id in {@code [0, logits.length)}. The array is not modified; NaN logits count as minus infinity and
     * plus infinity as the largest finite float (so that the softmax stays defined).
     *
     * @throws IllegalArgumentException if {@code logits} is empty
     */
    public int sample(float[] logits) {
        int n = logits.length;
        if (n == 0) {
            throw new IllegalArgumentException("logits must not be empty");
        }
        ensureCapacity(n);
        for (int i = 0; i < n; i++) {
            float v = logits[i];
            work[i] = Float.isNaN(v) ? Float.NEGATIVE_INFINITY : v == Float.POSITIVE_INFINITY ? Float.MAX_VALUE : v;
        }
        applyRepetitionPenalty(n);
        if (params.isGreedy()) {
            return argmax(work, n);
        }
        int count = selectCandidates(n);
        count = applyMinP(count);
        return draw(count);
    }

    /** llama.cpp's repeat penalty: each distinct recent id once, however often it occurred. */
    private void applyRepetitionPenalty(int n) {
        float penalty = params.repetitionPenalty();
        if (recentCount == 0 || penalty == 1f) {
            return;
        }
        if (++stamp == Integer.MAX_VALUE) {
            Arrays.fill(seenStamp, 0);
            stamp = 1;
        }
        for (int i = 0; i < recentCount; i++) {
            int id = recent[i];
            if (id < 0 || id >= n || seenStamp[id] == stamp) {
                continue;
            }
            seenStamp[id] = stamp;
            work[id] = work[id] <= 0 ? work[id] * penalty : work[id] / penalty;
        }
    }

    static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Applies top-k and top-p and leaves the survivors in {@code ids/vals[0, count)}; sorted by logit (descending, then
     * id) whenever a filter needed the order, otherwise in id order.
     */
    private int selectCandidates(int n) {
        int k = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        boolean topP = params.topP() < 1f;
        if (k < n) {
            int count = smallestKeys(n, k);
            return topP ? nucleusOrAll(count, softmaxDenominator(count)) : count;
        }
        if (!topP) {
            for (int i = 0; i < n; i++) {
                ids[i] = i;
                vals[i] = work[i];
            }
            return n;
        }
        // Top-p over the whole vocabulary: the nucleus is usually small, so sort only the best few first and sort
        // everything only when their mass does not reach p.
        double denominator = fullDenominator(n);
        int first = Math.min(TOP_P_FIRST_PASS, n);
        int nucleus = nucleusSize(smallestKeys(n, first), denominator);
        if (nucleus > 0) {
            return nucleus;
        }
        return first == n ? n : nucleusOrAll(smallestKeys(n, n), denominator);
    }

    /**
     * Fills {@code ids/vals[0, k)} with the k best tokens in (logit descending, id ascending) order. The order is
     * encoded in one long per token so that a primitive heap and sort do the work.
     */
    private int smallestKeys(int n, int k) {
        if (k == n) {
            for (int i = 0; i < n; i++) {
                keys[i] = key(work[i], i);
            }
            Arrays.sort(keys, 0, n);
        } else {
            // Max-heap of the k smallest keys seen so far; most tokens are rejected by one comparison with the root.
            for (int i = 0; i < k; i++) {
                keys[i] = key(work[i], i);
                siftUp(i);
            }
            for (int i = k; i < n; i++) {
                long kk = key(work[i], i);
                if (kk < keys[0]) {
                    keys[0] = kk;
                    siftDown(0, k);
                }
            }
            Arrays.sort(keys, 0, k);
        }
        for (int i = 0; i < k; i++) {
            int id = (int) keys[i];
            ids[i] = id;
            vals[i] = work[id];
        }
        return k;
    }

    /** Ascending keys = descending logits, ties by ascending id. */
    static long key(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int ordered = bits < 0 ? bits ^ 0x7fffffff : bits; // monotonic in the float's value as a signed int
        return ((long) ~ordered << 32) | (id & 0xffffffffL);
    }

    private void siftUp(int i) {
        long x = keys[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] >= x) {
                break;
            }
            keys[i] = keys[parent];
            i = parent;
        }
        keys[i] = x;
    }

    private void siftDown(int i, int size) {
        long x = keys[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && keys[child + 1] > keys[child]) {
                child++;
            }
            if (keys[child] <= x) {
                break;
            }
            keys[i] = keys[child];
            i = child;
        }
        keys[i] = x;
    }

    /** Sum of exp(v - max) over the sorted candidates (max = vals[0]). */
    private double softmaxDenominator(int count) {
        double max = vals[0];
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += Math.exp(vals[i] - max);
        }
        return sum;
    }

    private double fullDenominator(int n) {
        float max = work[argmax(work, n)];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) work[i] - max);
        }
        return sum;
    }

    private int nucleusOrAll(int count, double denominator) {
        int nucleus = nucleusSize(count, denominator);
        return nucleus > 0 ? nucleus : count;
    }

    /**
     * The number of sorted candidates whose cumulative probability first reaches top-p, or -1 when even all
     * {@code count} of them stay below it (rounding, or only part of the vocabulary sorted).
     */
    private int nucleusSize(int count, double denominator) {
        if (!(denominator > 0) || Double.isInfinite(denominator)) {
            return 1; // every logit is -inf, or overflow: only the first candidate is meaningful
        }
        double max = vals[0];
        double p = params.topP();
        double cumulative = 0;
        for (int i = 0; i < count; i++) {
            cumulative += Math.exp(vals[i] - max) / denominator;
            if (cumulative >= p) {
                return i + 1;
            }
        }
        return -1;
    }

    /** Keeps candidates whose logit is at least {@code max + ln(minP)}; never drops the best one. */
    private int applyMinP(int count) {
        if (params.minP() <= 0f) {
            return count;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, vals[i]);
        }
        double threshold = max + Math.log(params.minP());
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (vals[i] >= threshold) {
                ids[kept] = ids[i];
                vals[kept] = vals[i];
                kept++;
            }
        }
        return kept;
    }

    /** Temperature, softmax, one uniform draw. */
    private int draw(int count) {
        double t = params.temperature();
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            max = Math.max(max, vals[i] / t);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return ids[0];
        }
        double total = 0;
        for (int i = 0; i < count; i++) {
            double p = Math.exp(vals[i] / t - max);
            probs[i] = p;
            total += p;
        }
        double target = random.nextDouble() * total;
        double cumulative = 0;
        int lastPositive = 0;
        for (int i = 0; i < count; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                lastPositive = i;
                if (target < cumulative) {
                    return ids[i];
                }
            }
        }
        return ids[lastPositive]; // rounding left target at the very top of the range
    }

    private void ensureCapacity(int n) {
        if (work.length < n) {
            work = new float[n];
            seenStamp = new int[n];
            stamp = 0;
            keys = new long[n];
            ids = new int[n];
            vals = new float[n];
            probs = new double[n];
        }
    }
}
