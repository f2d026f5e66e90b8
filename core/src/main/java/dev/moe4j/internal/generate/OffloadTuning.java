package dev.moe4j.internal.generate;

import dev.moe4j.RoutingProfile;
import dev.moe4j.internal.model.ExpertOffload;
import dev.moe4j.internal.offload.ExpertReader;
import dev.moe4j.internal.offload.Policies;

/**
 * The expert cache's tuning as a load asks for it, each knob possibly absent (null, or 0 for {@code ioThreads}). An
 * absent knob takes its system property, else the built-in default. The properties are only defaults so that one
 * process can load models tuned differently (a server with two models, a test that compares policies) whatever its
 * command line says; before, they were read at load and won over everything.
 *
 * @param policy    cache policy name ({@link Policies}), or null: {@value #POLICY_PROPERTY}, else {@code layered}
 * @param ioThreads threads reading experts, or 0: {@value #IO_THREADS_PROPERTY}, else 4
 * @param prefetch  read the next layer's predicted experts early, or null: {@value #PREFETCH_PROPERTY}, else true
 * @param directIo  read with direct I/O where the file system allows, or null: {@value ExpertReader#DIRECT_IO_PROPERTY},
 *                  else true
 */
public record OffloadTuning(String policy, int ioThreads, Boolean prefetch, Boolean directIo) {
    public static final String POLICY_PROPERTY = "moe4j.offload.policy";
    public static final String IO_THREADS_PROPERTY = "moe4j.offload.ioThreads";
    public static final String PREFETCH_PROPERTY = "moe4j.offload.prefetch";
    /** I/O threads when neither the load nor {@value #IO_THREADS_PROPERTY} says. */
    static final int DEFAULT_IO_THREADS = 4;
    /** Share of the cache a routing profile's pinned experts may take. */
    static final double PIN_SHARE = 0.25;

    /** Every knob absent: the system properties, else the built-in defaults. */
    public static final OffloadTuning DEFAULTS = new OffloadTuning(null, 0, null, null);

    public OffloadTuning {
        if (ioThreads < 0) {
            throw new IllegalArgumentException("ioThreads must be >= 0 (0: the default), got " + ioThreads);
        }
    }

    /** The policy to use: the one asked for, else {@value #POLICY_PROPERTY}, else layered. */
    public String policyOrDefault() {
        return policy != null ? policy : System.getProperty(POLICY_PROPERTY, Policies.LAYERED);
    }

    /** The I/O threads to use: the number asked for, else {@value #IO_THREADS_PROPERTY}, else 4. */
    public int ioThreadsOrDefault() {
        return ioThreads > 0 ? ioThreads : Integer.getInteger(IO_THREADS_PROPERTY, DEFAULT_IO_THREADS);
    }

    /** Whether to prefetch: as asked, else {@value #PREFETCH_PROPERTY}, else true. */
    public boolean prefetchOrDefault() {
        return prefetch != null ? prefetch : Boolean.parseBoolean(System.getProperty(PREFETCH_PROPERTY, "true"));
    }

    /** Whether to try direct I/O: as asked, else {@link ExpertReader#directIoDefault()}. */
    public boolean directIoOrDefault() {
        return directIo != null ? directIo : ExpertReader.directIoDefault();
    }

    /** The store's settings for a budget, every knob resolved now. */
    ExpertOffload.Settings settings(long budget, RoutingProfile profile) {
        return new ExpertOffload.Settings(budget, policyOrDefault(), profile, PIN_SHARE, ioThreadsOrDefault(),
                prefetchOrDefault(), directIoOrDefault());
    }
}
