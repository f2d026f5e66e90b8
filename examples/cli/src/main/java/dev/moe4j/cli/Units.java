package dev.moe4j.cli;

import java.util.Locale;

/** Human-readable numbers for the command line: parameter counts (K, M, B, T; powers of 1000) and bytes (KiB...). */
final class Units {
    private Units() {
    }

    /** {@code 16572880 -> "16.57 M"}; below 1000 the plain number. */
    static String count(long n) {
        String[] units = {"K", "M", "B", "T"};
        if (Math.abs(n) < 1000) {
            return Long.toString(n);
        }
        double v = n;
        int u = -1;
        while (Math.abs(v) >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    /** {@code 17817728 -> "17.0 MiB"}; below 1024 bytes {@code "N B"}. */
    static String bytes(long n) {
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        if (n < 1024) {
            return n + " B";
        }
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
