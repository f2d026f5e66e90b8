package dev.moe4j.internal.model;

/**
 * Selection of the k best of n scores in O(n) (introselect: quickselect with median-of-three pivots, falling back to
 * a heap-free insertion pass on small ranges), deterministic: a higher score wins, equal scores go to the lower index,
 * and NaN ranks below every number. What the lightning indexer's top-k of 2,048 among up to 128k positions needs, where
 * sorting all positions would cost more than the scoring.
 */
final class TopK {
    private static final int SMALL = 16;

    private TopK() {}

    /**
     * Reorders {@code idx[0, n)} (indices into {@code score}) so that its first {@code k} entries are the k best, in no
     * particular order.
     */
    static void select(float[] score, int[] idx, int n, int k) {
        if (k <= 0 || k >= n) {
            return;
        }
        int lo = 0;
        int hi = n - 1;
        while (hi - lo > SMALL) {
            int mid = (lo + hi) >>> 1;
            // median of three into idx[mid], then used as the pivot
            if (better(score, idx[lo], idx[mid])) {
                swap(idx, lo, mid);
            }
            if (better(score, idx[mid], idx[hi])) {
                swap(idx, mid, hi);
            }
            if (better(score, idx[lo], idx[mid])) {
                swap(idx, lo, mid);
            }
            int pivot = idx[mid];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (better(score, idx[i], pivot)) {
                    i++;
                }
                while (better(score, pivot, idx[j])) {
                    j--;
                }
                if (i <= j) {
                    swap(idx, i++, j--);
                }
            }
            // [lo, j] are all at least as good as the pivot, [i, hi] no better; between them equal to it
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return;
            }
        }
        for (int a = lo + 1; a <= hi; a++) {
            int v = idx[a];
            int b = a - 1;
            while (b >= lo && better(score, v, idx[b])) {
                idx[b + 1] = idx[b];
                b--;
            }
            idx[b + 1] = v;
        }
    }

    /** Whether position a ranks strictly before position b. */
    static boolean better(float[] score, int a, int b) {
        float sa = score[a];
        float sb = score[b];
        if (sa > sb || (sb != sb && sa == sa)) {
            return true;
        }
        if (sa < sb || (sa != sa && sb == sb)) {
            return false;
        }
        return a < b;
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
