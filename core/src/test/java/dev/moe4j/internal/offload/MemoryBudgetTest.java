package dev.moe4j.internal.offload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryBudgetTest {
    private static final long GIB = 1L << 30;
    @TempDir
    Path dir;

    @Test
    void parsesUnits() {
        assertEquals(6 * GIB, MemoryBudget.parse("6GiB"));
        assertEquals(6 * GIB, MemoryBudget.parse("6g"));
        assertEquals(6 * GIB, MemoryBudget.parse(" 6 GIB "));
        assertEquals(6_000_000_000L, MemoryBudget.parse("6GB"));
        assertEquals(512L << 20, MemoryBudget.parse("512M"));
        assertEquals(512L << 20, MemoryBudget.parse("512MiB"));
        assertEquals(1536L << 20, MemoryBudget.parse("1.5GiB"));
        assertEquals(1048576, MemoryBudget.parse("1048576"));
        assertEquals(100, MemoryBudget.parse("100B"));
        assertEquals(2L << 40, MemoryBudget.parse("2T"));
        assertEquals(3_000, MemoryBudget.parse("3kb"));
    }

    @Test
    void refusesWhatIsNotASize() {
        for (String bad : new String[] {"", "GiB", "-1G", "6 apples", "1.5", "0", "0GiB", "1e9", "9999999999T", "6 G B"}) {
            assertThrows(IllegalArgumentException.class, () -> MemoryBudget.parse(bad), bad);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MemoryBudget.parse("6 apples")).getMessage()
                .contains("6 apples"));
        assertThrows(IllegalArgumentException.class, () -> MemoryBudget.parse(null));
    }

    @Test
    void findsACgroupV2LimitOnTheGroupOrAnAncestor() throws IOException {
        Path root = dir.resolve("cg");
        Path group = Files.createDirectories(root.resolve("user.slice/job/inner"));
        Files.writeString(root.resolve("user.slice/memory.max"), "max\n");
        Files.writeString(root.resolve("user.slice/job/memory.max"), "4294967296\n");
        Files.writeString(group.resolve("memory.max"), "8589934592\n");
        Path self = Files.writeString(dir.resolve("cgroup"), "0::/user.slice/job/inner\n");
        assertEquals(OptionalLong.of(4 * GIB), MemoryBudget.cgroupLimit(self, root), "the tighter ancestor wins");
    }

    @Test
    void findsACgroupV1Limit() throws IOException {
        Path root = dir.resolve("cg");
        Path group = Files.createDirectories(root.resolve("memory/docker/abc"));
        Files.writeString(root.resolve("memory/memory.limit_in_bytes"), "9223372036854771712\n"); // "unlimited"
        Files.writeString(group.resolve("memory.limit_in_bytes"), "3221225472\n");
        Path self = Files.writeString(dir.resolve("cgroup"),
                "9:name=systemd:/docker/abc\n4:memory:/docker/abc\n3:cpuset:/docker/abc\n");
        assertEquals(OptionalLong.of(3 * GIB), MemoryBudget.cgroupLimit(self, root));
    }

    @Test
    void noLimitWhenTheFilesSayNoneOrAreMissing() throws IOException {
        Path root = Files.createDirectories(dir.resolve("cg/memory"));
        Files.writeString(root.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
        Path self = Files.writeString(dir.resolve("cgroup"), "4:memory:/\n0::/\n");
        assertEquals(OptionalLong.empty(), MemoryBudget.cgroupLimit(self, dir.resolve("cg")));
        assertEquals(OptionalLong.empty(), MemoryBudget.cgroupLimit(dir.resolve("missing"), dir.resolve("cg")));
    }

    @Test
    void thisMachineHasSomeMemory() {
        long a = MemoryBudget.available();
        assertTrue(a > 0 && a <= MemoryBudget.physicalMemory(), "available " + a);
    }

    @Test
    void plansOffloadingOnlyWhenTheExpertsDoNotFit() {
        long heap = GIB;
        // a 10 GiB model on a 32 GiB machine: memory-mapped as before
        MemoryBudget.Plan fits = MemoryBudget.plan(-1, 9 * GIB, GIB, GIB / 2, 32 * GIB, heap, 1 << 20);
        assertFalse(fits.offload());
        // the same model capped at 4 GiB: 4 − 1 heap − 0.25 overhead − 1 weights − 0.5 session = 1.25 GiB of slots
        MemoryBudget.Plan capped = MemoryBudget.plan(-1, 9 * GIB, GIB, GIB / 2, 4 * GIB, heap, 1 << 20);
        assertTrue(capped.offload());
        assertEquals(4 * GIB - heap - MemoryBudget.OVERHEAD - GIB - GIB / 2, capped.budget());
        // far too little memory: the least that works, said so
        MemoryBudget.Plan starved = MemoryBudget.plan(-1, 9 * GIB, GIB, GIB / 2, 2 * GIB, heap, 1 << 20);
        assertEquals(1 << 20, starved.budget());
        assertTrue(starved.reason().contains("least that works"), starved.reason());
        // a budget the user set is used as it is, unless it holds every expert
        assertEquals(GIB, MemoryBudget.plan(GIB, 9 * GIB, GIB, 0, 32 * GIB, heap, 1).budget());
        assertFalse(MemoryBudget.plan(10 * GIB, 9 * GIB, GIB, 0, 2 * GIB, heap, 1).offload());
    }
}
