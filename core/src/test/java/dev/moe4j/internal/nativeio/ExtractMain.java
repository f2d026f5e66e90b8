package dev.moe4j.internal.nativeio;

import dev.moe4j.NativeRuntime;

/** Run in a child JVM by {@link NativeLibraryTest}: loads the library (extracting it) and prints where from. */
public final class ExtractMain {
    private ExtractMain() {}

    public static void main(String[] args) {
        NativeRuntime rt = NativeRuntime.current();
        if (NativeKernels.abiVersion() != NativeKernels.ABI_VERSION) {
            throw new IllegalStateException("ABI mismatch");
        }
        System.out.println(rt.libraryPath());
    }
}
