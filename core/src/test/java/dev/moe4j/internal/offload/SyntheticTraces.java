package dev.moe4j.internal.offload;

import java.util.Random;

/**
 * Routing traces with the statistics real MoE routing has: each layer prefers some experts (a Zipf law over a random
 * order of the experts, different per layer) and consecutive tokens often route alike (with probability
 * {@code locality} a token repeats the previous token's choice in a layer). Seeded, so a test sees the same trace.
 */
final class SyntheticTraces {
    private SyntheticTraces() {}

    /**
     * @param zipf     exponent s of P(rank r) ∝ 1/r^s; 0 routes uniformly
     * @param locality probability that a token reuses the previous token's experts in a layer
     */
    static RoutingTrace zipf(int layers, int experts, int used, int tokens, double zipf, double locality, long seed) {
        Random rnd = new Random(seed);
        int[][] order = new int[layers][experts];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                order[l][e] = e;
            }
            for (int e = experts - 1; e > 0; e--) { // Fisher-Yates: which expert has which rank in this layer
                int j = rnd.nextInt(e + 1);
                int tmp = order[l][e];
                order[l][e] = order[l][j];
                order[l][j] = tmp;
            }
        }
        double[] cdf = new double[experts];
        double sum = 0;
        for (int r = 0; r < experts; r++) {
            sum += 1.0 / Math.pow(r + 1, zipf);
            cdf[r] = sum;
        }
        int[] ids = new int[tokens * layers * used];
        boolean[] taken = new boolean[experts];
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < layers; l++) {
                int at = (t * layers + l) * used;
                if (t > 0 && rnd.nextDouble() < locality) {
                    System.arraycopy(ids, at - layers * used, ids, at, used);
                    continue;
                }
                for (int j = 0; j < used; j++) {
                    int e;
                    do {
                        double u = rnd.nextDouble() * sum;
                        int r = java.util.Arrays.binarySearch(cdf, u);
                        r = r >= 0 ? r : -r - 1;
                        e = order[l][Math.min(r, experts - 1)];
                    } while (taken[e]);
                    taken[e] = true;
                    ids[at + j] = e;
                }
                for (int j = 0; j < used; j++) {
                    taken[ids[at + j]] = false;
                }
            }
        }
        int[] blocks = new int[layers];
        for (int l = 0; l < layers; l++) {
            blocks[l] = l + 1; // as if block 0 were dense, like DeepSeek's
        }
        return new RoutingTrace(blocks, experts, used, ids);
    }
}
