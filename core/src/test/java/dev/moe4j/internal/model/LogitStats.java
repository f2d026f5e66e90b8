package dev.moe4j.internal.model;

/** Comparisons of logits rows. */
final class LogitStats {
    private LogitStats() {}

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Greedy choice: the largest logit, lowest id on ties. */
    static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Largest minus second largest logit. */
    static double top2Gap(float[] a) {
        int best = argmax(a);
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < a.length; i++) {
            if (i != best) {
                second = Math.max(second, a[i]);
            }
        }
        return a[best] - second;
    }
}
