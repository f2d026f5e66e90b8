package dev.moe4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.ModelInfo;
import dev.moe4j.cli.bench.ActiveWeights;
import dev.moe4j.cli.bench.Bench;
import dev.moe4j.cli.bench.Samples;
import dev.moe4j.tooling.ForwardModel;
import dev.moe4j.tooling.ForwardSession;
import dev.moe4j.tooling.GgufReader;
import dev.moe4j.tooling.RawModel;
import dev.moe4j.tooling.TensorInfo;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code moe4j bench} on a golden model: sane rates and weight figures, skipped tests omitted, bad options refused. */
class BenchCommandTest {
    private static Path golden(String name) {
        String p = System.getProperty("moe4j.shared");
        assertTrue(p != null && Files.isDirectory(Path.of(p, "golden")), "moe4j.shared must point at ../shared: " + p);
        return Path.of(p, "golden", name, "model.gguf");
    }

    @Test
    void jsonHasMeanRatesSamplesAndWeightFigures() throws Exception {
        Path model = golden("ds2-tiny-q8e");
        CliRunner.Result r = CliRunner.run("bench", "-m", model.toString(), "-p", "16", "-n", "8", "-r", "3", "-t",
                "2", "--probe-mib", "64", "--warmup", "0.2", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String rate : List.of("pp", "tg")) {
            double mean = j.get(rate + "_tokens_per_s").asDouble();
            assertTrue(mean > 1 && mean < 1e7, rate + " rate " + mean);
            JsonNode samples = j.get(rate + "_samples");
            assertEquals(3, samples.size());
            double sum = 0;
            for (JsonNode s : samples) {
                assertTrue(s.asDouble() > 0);
                sum += s.asDouble();
            }
            assertEquals(sum / 3, mean, mean * 1e-9, rate + ": the mean is the mean of the samples");
            assertTrue(j.get(rate + "_tokens_per_s_stddev").asDouble() >= 0);
        }
        assertEquals(2, j.get("threads").asInt());
        assertEquals(0.2, j.get("warmup_s").asDouble());
        assertEquals(16, j.get("n_prompt").asInt());
        assertEquals(8, j.get("n_gen").asInt());

        ModelInfo info = ModelInfo.read(model);
        long active = j.get("active_weight_bytes_per_token").asLong();
        long total = j.get("weight_bytes").asLong();
        assertTrue(active > 0 && active < total, "a MoE reads part of its weights per token");
        assertTrue(total < info.fileSize() && total > info.fileSize() / 2, "weights are most of the file");
        double bandwidth = j.get("memory_read_bytes_per_s").asDouble();
        assertTrue(bandwidth > 1e8 && bandwidth < 1e13, "bandwidth " + bandwidth);
        assertEquals(bandwidth / active, j.get("tg_bound_tokens_per_s").asDouble(), 1e-6 * bandwidth / active);
        assertEquals(j.get("tg_tokens_per_s").asDouble() * active, j.get("tg_weight_bytes_per_s").asDouble(), 1);
    }

    @Test
    void aTestWithZeroTokensIsSkippedAndItsFieldsOmitted() throws Exception {
        CliRunner.Result r = CliRunner.run("bench", "-m", golden("ds2-tiny-q8e").toString(), "-p", "0", "-n", "4",
                "-r", "1", "-t", "1", "--probe-mib", "0", "--warmup", "0", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertFalse(j.has("pp_tokens_per_s"));
        assertFalse(j.has("pp_samples"));
        assertTrue(j.get("tg_tokens_per_s").asDouble() > 0);
        assertFalse(j.has("memory_read_bytes_per_s"), "--probe-mib 0 skips the probe");
    }

    /**
     * A budget below the experts' size offloads them as Model.load does; the report counts every use of an expert
     * (prefill and decode, warm-up included, each token's k experts in each MoE layer) as a hit, prefetch hit or miss.
     */
    @Test
    void aMemoryBudgetOffloadsTheExpertsAndReportsTheCache() throws Exception {
        Path model = golden("ds2-tiny-q8e");
        ModelInfo info = ModelInfo.read(model);
        for (String policy : List.of("layered", "lru", "tinylfu")) {
            CliRunner.Result r = CliRunner.run("bench", "-m", model.toString(), "-p", "8", "-n", "6", "-r", "1", "-t",
                    "2", "--probe-mib", "0", "--warmup", "0", "--memory-budget", "256KiB", "--policy", policy,
                    "--json");
            assertEquals(0, r.exit(), r.err());
            JsonNode e = new ObjectMapper().readTree(r.out()).get("offload");
            assertTrue(e != null, "an offload report: " + r.out());
            assertEquals(policy, e.get("policy").asText());
            assertEquals(256 * 1024, e.get("budget_bytes").asLong());
            long uses = e.get("hits").asLong() + e.get("prefetch_hits").asLong() + e.get("misses").asLong();
            assertTrue(uses > 0 && e.get("misses").asLong() > 0, "a small cache misses: " + e);
            assertTrue(e.get("bytes_read").asLong() > 0 && e.get("hit_rate").asDouble() < 1, e.toString());
            assertTrue(uses <= 2L * (8 + 6) * info.expertUsedCount() * info.blockCount(), "uses: " + e);
        }
        CliRunner.Result big = CliRunner.run("bench", "-m", model.toString(), "-p", "0", "-n", "2", "-r", "1",
                "--probe-mib", "0", "--warmup", "0", "--memory-budget", "1GiB", "--json");
        assertEquals(0, big.exit(), big.err());
        assertFalse(new ObjectMapper().readTree(big.out()).has("offload"), "a budget that holds every expert maps them");
    }

    @Test
    void textOutputIsATable() {
        CliRunner.Result r = CliRunner.run("bench", "-m", golden("ds2-tiny-f32").toString(), "-p", "8", "-n", "4",
                "-r", "2", "-t", "1", "--probe-mib", "32", "--warmup", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("|            pp8 |"), r.out());
        assertTrue(r.out().contains("tg4") && r.out().contains("read per decoded token")
                && r.out().contains("Java probe"), r.out());
    }

    /** {@code -d}: both tests after a context prefilled once, named as llama-bench names them. */
    @Test
    void depthRunsTheTestsAfterAContext() throws Exception {
        String m = golden("ds2-tiny-f32").toString();
        CliRunner.Result r = CliRunner.run("bench", "-m", m, "-p", "8", "-n", "4", "-d", "40", "-r", "2", "-t", "1",
                "--probe-mib", "0", "--warmup", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("|      pp8 @ d40 |") && r.out().contains("|      tg4 @ d40 |"), r.out());
        CliRunner.Result j = CliRunner.run("bench", "-m", m, "-p", "0", "-n", "4", "-d", "40", "-r", "1", "-t", "1",
                "--probe-mib", "0", "--warmup", "0", "--json");
        assertEquals(0, j.exit(), j.err());
        assertEquals(40, new ObjectMapper().readTree(j.out()).get("n_depth").asInt());
        assertEquals(2, CliRunner.run("bench", "-m", m, "-d", "-1").exit());
    }

    @Test
    void badOptionsAreRefused() {
        String m = golden("ds2-tiny-q8e").toString();
        CliRunner.Result r = CliRunner.run("bench", "-m", m, "-p", "0", "-n", "0");
        assertEquals(2, r.exit());
        r = CliRunner.run("bench", "-m", m, "-p", "100000", "-n", "1", "--probe-mib", "0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("exceed the model's context"), r.err());
    }

    /** The active bytes: one embedding row, k of E experts, everything else in full (checked tensor by tensor). */
    @Test
    void activeWeightsCountOneEmbeddingRowAndTheUsedExperts() throws Exception {
        Path model = golden("ds2-tiny-q8e");
        ModelInfo info = ModelInfo.read(model);
        try (GgufReader f = GgufReader.open(model)) {
            ActiveWeights w = ActiveWeights.of(f, info.expertCount(), info.expertUsedCount());
            long total = 0;
            double expected = 0;
            for (TensorInfo t : f.tensors()) {
                total += t.byteSize();
                if (t.name().equals("token_embd.weight")) {
                    expected += t.byteSize() / (double) t.dim(1);
                } else if (t.name().endsWith("_exps.weight")) {
                    expected += t.byteSize() * (double) info.expertUsedCount() / info.expertCount();
                } else {
                    expected += t.byteSize();
                }
            }
            assertEquals(total, w.total());
            assertEquals(expected, w.active(), 8); // rounding per expert tensor
            ActiveWeights dense = ActiveWeights.of(f, 0, 0);
            assertEquals(w.total(), dense.total());
            assertTrue(dense.active() > w.active(), "counted as dense, every expert is read");
        }
    }

    /** Counts forward calls of a real model, to see the warm-up runs. */
    private static final class Counting implements ForwardModel {
        final ForwardModel inner;
        int calls;

        Counting(ForwardModel inner) {
            this.inner = inner;
        }

        @Override
        public int vocabSize() {
            return inner.vocabSize();
        }

        @Override
        public int contextLength() {
            return inner.contextLength();
        }

        @Override
        public ForwardSession newSession(int capacity) {
            ForwardSession s = inner.newSession(capacity);
            return new ForwardSession() {
                @Override
                public int capacity() {
                    return s.capacity();
                }

                @Override
                public int position() {
                    return s.position();
                }

                @Override
                public void truncate(int position) {
                    s.truncate(position);
                }

                @Override
                public void forward(int[] tokens, int offset, int count, float[] logitsOut) {
                    calls++;
                    s.forward(tokens, offset, count, logitsOut);
                }

                @Override
                public void close() {
                    s.close();
                }
            };
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void warmUpRunsAtLeastOnceAndForAsLongAsAsked() throws Exception {
        try (RawModel m = RawModel.builder(golden("ds2-tiny-f32")).threads(1).build()) {
            Counting c = new Counting(m);
            try (Bench b = new Bench(c, 32, 1, 0)) {
                assertEquals(4, b.prefill(8, 4).values().size());
                assertEquals(5, c.calls, "one warm-up run, four timed");
                c.calls = 0;
                assertEquals(2, b.decode(3, 2).values().size());
                assertEquals(3 * 3, c.calls, "one warm-up run and two timed, three steps each");
            }
            c.calls = 0;
            long t0 = System.nanoTime();
            try (Bench b = new Bench(c, 32, 1, 300_000_000L)) {
                b.prefill(8, 2);
            }
            assertTrue(System.nanoTime() - t0 >= 300_000_000L, "the warm-up lasted its time");
            assertTrue(c.calls > 3, "several warm-up runs fit in 0.3 s, got " + (c.calls - 2));
        }
    }

    @Test
    void samplesUseTheSampleStandardDeviation() {
        Samples s = new Samples(List.of(2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0));
        assertEquals(5.0, s.mean(), 1e-12);
        assertEquals(Math.sqrt(32.0 / 7), s.stddev(), 1e-12);
        assertEquals(0, new Samples(List.of(3.0)).stddev());
    }
}
