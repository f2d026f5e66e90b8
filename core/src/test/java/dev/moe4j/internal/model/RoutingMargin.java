package dev.moe4j.internal.model;

/** How close a MoE routing decision was: the k-th best eligible selection score minus the (k+1)-th. */
final class RoutingMargin {
    private RoutingMargin() {}

    /** {@code +inf} when there is no (k+1)-th eligible expert (nothing could have been chosen instead). */
    static double of(float[] selection, int k) {
        float[] v = selection.clone();
        java.util.Arrays.sort(v); // ascending; -inf (ineligible) first
        int n = v.length;
        if (k < 1 || k >= n || v[n - k - 1] == Float.NEGATIVE_INFINITY) {
            return Double.POSITIVE_INFINITY;
        }
        return (double) v[n - k] - v[n - k - 1];
    }
}
