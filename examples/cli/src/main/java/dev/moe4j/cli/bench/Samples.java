package dev.moe4j.cli.bench;

import java.util.List;

/**
 * Repeated measurements of one rate (tokens per second), summarised as llama-bench does: the mean and the sample
 * standard deviation (n − 1) of the per-repetition rates.
 */
public record Samples(List<Double> values) {
    public Samples {
        values = List.copyOf(values);
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
    }

    public double mean() {
        return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    /** Sample standard deviation; 0 for a single sample. */
    public double stddev() {
        if (values.size() < 2) {
            return 0;
        }
        double m = mean();
        double ss = values.stream().mapToDouble(v -> (v - m) * (v - m)).sum();
        return Math.sqrt(ss / (values.size() - 1));
    }
}
