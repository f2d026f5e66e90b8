package dev.moe4j.internal.offload;

/**
 * A learned estimate of how likely an expert is to be used at the next visit of its layer, given two features: how
 * many visits ago it was last used (recency) and its aged use count (frequency). Both are bucketed by powers of two
 * (8 × 8 cells); each cell counts trials (an expert of the visited layer with those features) and successes (it was
 * used). The estimate is the cell's success rate, pulled towards the uniform rate {@code used/experts} by one
 * pseudo-trial. Learning online makes the policy adapt to the trace: routing with strong token-to-token locality
 * teaches a high rate for recent experts, near-uniform routing teaches flat rates. Aged like the sketch.
 */
final class ReuseTable {
    static final int BUCKETS = 8;
    private final double prior;
    private final double[] trials = new double[BUCKETS * BUCKETS];
    private final double[] successes = new double[BUCKETS * BUCKETS];

    ReuseTable(double prior) {
        this.prior = prior;
    }

    /** The cell of an expert last used {@code since} visits ago (Long.MAX_VALUE: never) with use count {@code count}. */
    static int bucket(long since, int count) {
        int r = since == Long.MAX_VALUE ? BUCKETS - 1 : Math.min(BUCKETS - 2, log2(since));
        int f = Math.min(BUCKETS - 1, count == 0 ? 0 : 1 + log2(count));
        return r * BUCKETS + f;
    }

    private static int log2(long v) {
        return 63 - Long.numberOfLeadingZeros(Math.max(1, v));
    }

    /** One trial of {@code cell}; a success is counted as a trial too when it was not counted before. */
    void record(int cell, boolean used) {
        if (used) {
            successes[cell]++;
        } else {
            trials[cell]++;
        }
    }

    double probability(int cell) {
        // experts first used at this visit were never counted as trials: their successes count as trials too
        double t = Math.max(trials[cell], successes[cell]);
        return Math.min(1.0, Math.max(1e-6, (successes[cell] + prior) / (t + 1)));
    }

    void halve() {
        for (int i = 0; i < trials.length; i++) {
            trials[i] /= 2;
            successes[i] /= 2;
        }
    }
}
