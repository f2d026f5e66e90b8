package dev.moe4j.internal.offload;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory sizes: parsing {@code "6GiB"}-style strings, finding how much memory the process may use (a container's
 * cgroup limit, else the machine's memory), and deciding whether a model's experts are offloaded and in what budget.
 */
public final class MemoryBudget {
    /**
     * Memory the process needs beside the JVM heap, the weights and the sessions: metaspace, code cache, thread stacks,
     * the kernels' worker threads, GC structures, the tokenizer, the direct-I/O bounce buffers of the expert reads
     * (4 MiB and two blocks per I/O thread). Stated, not measured.
     */
    public static final long OVERHEAD = 256L << 20;
    /** cgroup v1 writes "no limit" as a huge number (2^63 rounded down to a page); anything above this is no limit. */
    private static final long NO_LIMIT = 1L << 60;
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]*)");

    private MemoryBudget() {}

    /**
     * Parses a size: a number with an optional unit, case-insensitive. {@code B}; binary {@code K}, {@code M},
     * {@code G}, {@code T} (as the JVM's {@code -Xmx}) and {@code KiB}, {@code MiB}, {@code GiB}, {@code TiB};
     * decimal {@code KB}, {@code MB}, {@code GB}, {@code TB}. Fractions are allowed with a unit ({@code 1.5GiB}).
     *
     * @return the size in bytes, at least 1
     * @throws IllegalArgumentException for anything else, or a size of 0 or above 2^63 − 1 bytes
     */
    public static long parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("memory size is null");
        }
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a memory size (examples: 6GiB, 512M, 1.5GB,"
                    + " 1048576)");
        }
        long unit = switch (m.group(2)) {
            case "", "b" -> 1L;
            case "k", "kib" -> 1L << 10;
            case "m", "mib" -> 1L << 20;
            case "g", "gib" -> 1L << 30;
            case "t", "tib" -> 1L << 40;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            default -> throw new IllegalArgumentException("'" + text + "': unknown unit '" + m.group(2)
                    + "' (use B, K, M, G, T, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
        };
        String number = m.group(1);
        if (number.contains(".") && unit == 1) {
            throw new IllegalArgumentException("'" + text + "': a fraction of a byte");
        }
        java.math.BigDecimal bytes = new java.math.BigDecimal(number).multiply(java.math.BigDecimal.valueOf(unit));
        if (bytes.compareTo(java.math.BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        long v = bytes.longValue();
        if (v < 1) {
            throw new IllegalArgumentException("'" + text + "': a memory budget must be at least 1 byte");
        }
        return v;
    }

    /** A size for people: {@code 1.5 GiB}. */
    public static String format(long bytes) {
        return TraceSimulator.bytes(bytes);
    }

    /**
     * Memory the process may use: the smallest of the machine's physical memory (the JVM's view, which already
     * follows a container limit it recognises) and every memory limit of this process's cgroup and its ancestors
     * (cgroup v2 {@code memory.max}, v1 {@code memory.limit_in_bytes}).
     */
    public static long available() {
        long physical = physicalMemory();
        OptionalLong cgroup = cgroupLimit(Path.of("/proc/self/cgroup"), Path.of("/sys/fs/cgroup"));
        return cgroup.isPresent() ? Math.min(physical, cgroup.getAsLong()) : physical;
    }

    /** Total physical memory as the JVM sees it. */
    public static long physicalMemory() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory(); // no better guess without the JDK's extension
    }

    /**
     * The tightest memory limit on the cgroup named in {@code procSelfCgroup} and its ancestors, under the cgroup
     * file system at {@code root}; empty when there is none (or no cgroup file system).
     */
    static OptionalLong cgroupLimit(Path procSelfCgroup, Path root) {
        List<String> lines;
        try {
            lines = Files.readAllLines(procSelfCgroup);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        long best = Long.MAX_VALUE;
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (f[0].equals("0") && f[1].isEmpty()) { // v2 unified hierarchy
                best = Math.min(best, walkUp(root, f[2], "memory.max"));
                best = Math.min(best, walkUp(root.resolve("unified"), f[2], "memory.max"));
            } else if (List.of(f[1].split(",")).contains("memory")) { // v1 memory controller
                best = Math.min(best, walkUp(root.resolve("memory"), f[2], "memory.limit_in_bytes"));
            }
        }
        return best == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(best);
    }

    /** The smallest limit in {@code file} from the group's directory up to the mount root. */
    private static long walkUp(Path mount, String group, String file) {
        long best = Long.MAX_VALUE;
        Path dir = mount;
        String rel = group.startsWith("/") ? group.substring(1) : group;
        if (!rel.isEmpty()) {
            dir = mount.resolve(rel);
        }
        while (dir != null && dir.startsWith(mount)) {
            best = Math.min(best, readLimit(dir.resolve(file)));
            if (dir.equals(mount)) {
                break;
            }
            dir = dir.getParent();
        }
        return best;
    }

    private static long readLimit(Path file) {
        try {
            String v = Files.readString(file).strip();
            if (v.equals("max") || v.isEmpty()) {
                return Long.MAX_VALUE;
            }
            long n = Long.parseLong(v);
            return n <= 0 || n >= NO_LIMIT ? Long.MAX_VALUE : n;
        } catch (IOException | RuntimeException e) {
            return Long.MAX_VALUE; // absent or unreadable: no limit known here
        }
    }

    /**
     * What to do with a model's routed experts.
     *
     * @param offload whether they go through an expert store (else they stay memory-mapped, as without a budget)
     * @param budget  the store's budget in bytes (0 when not offloading)
     * @param reason  why, in a sentence for the log
     */
    public record Plan(boolean offload, long budget, String reason) {}

    /**
     * Decides how to run a model.
     *
     * @param requested   the budget the user set, or a negative value for automatic
     * @param expertBytes bytes of all routed experts in the file
     * @param otherBytes  bytes of every other weight (resident)
     * @param sessionBytes memory the sessions need (their KV caches)
     * @param available   memory the process may use ({@link #available()})
     * @param heapMax     the JVM's maximum heap
     * @param minimum     the smallest workable budget (one expert slot)
     */
    public static Plan plan(long requested, long expertBytes, long otherBytes, long sessionBytes, long available,
                            long heapMax, long minimum) {
        if (requested >= 0) {
            if (requested >= expertBytes) {
                return new Plan(false, 0, "the budget " + format(requested) + " holds all routed experts ("
                        + format(expertBytes) + "): they stay memory-mapped");
            }
            return new Plan(true, requested, "routed experts (" + format(expertBytes) + ") run in the budget "
                    + format(requested));
        }
        long free = available - heapMax - OVERHEAD - otherBytes - sessionBytes;
        String sum = format(available) + " available − heap " + format(heapMax) + " − overhead " + format(OVERHEAD)
                + " − other weights " + format(otherBytes) + " − sessions' KV " + format(sessionBytes);
        if (expertBytes <= free) {
            return new Plan(false, 0, "routed experts (" + format(expertBytes) + ") fit in " + sum + " = "
                    + format(free) + ": they stay memory-mapped");
        }
        long budget = Math.max(free, minimum);
        return new Plan(true, budget, "routed experts (" + format(expertBytes) + ") do not fit in " + sum + " = "
                + format(Math.max(0, free)) + ": they run in a budget of " + format(budget)
                + (free < minimum ? " (the least that works; memory is short)" : ""));
    }
}
