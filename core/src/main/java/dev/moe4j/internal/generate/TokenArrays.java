package dev.moe4j.internal.generate;

/** Token-id sequences put together: prompt layouts, and prompt plus output. */
public final class TokenArrays {
    private TokenArrays() {
    }

    /** The parts, one after the other, in a new array. */
    public static int[] concat(int[]... parts) {
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
}
