package dev.moe4j.tooling;

import dev.moe4j.internal.offload.MemoryBudget;

/**
 * Sizes in bytes as the memory budgets of {@link dev.moe4j.Model.Builder} take them: {@code "6GiB"}, {@code "512M"},
 * {@code "1.5GB"}: binary units {@code K M G T} and {@code KiB MiB GiB TiB}, decimal {@code KB MB GB TB}, {@code B} or
 * none for bytes; case-insensitive.
 */
public final class ByteSizes {
    private ByteSizes() {}

    /**
     * The bytes {@code size} stands for, at least 1.
     *
     * @param size a number (a fraction only with a unit larger than a byte) and an optional unit, e.g.
     *             {@code "6GiB"}; surrounding blanks are ignored
     * @return the size in bytes
     * @throws IllegalArgumentException if {@code size} is not such a size, is 0 or exceeds {@link Long#MAX_VALUE}
     *                                  (the message says what is wrong)
     */
    public static long parse(String size) {
        return MemoryBudget.parse(size);
    }
}
