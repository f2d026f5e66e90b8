/**
 * moe4j: Mixture-of-Experts language models inside the JVM.
 *
 * <p>{@code dev.moe4j} is the API. {@code dev.moe4j.tooling} is a tooling API for command-line tools, benchmarks and
 * tests (facades over the internals: GGUF reading and writing, tokenizer, chat templates, the bare forward pass), with
 * weaker stability guarantees: it may change in any minor release. Everything under {@code dev.moe4j.internal} may
 * change in any release. Dependencies point one way: {@code dev.moe4j.tooling} → {@code dev.moe4j} and the internals;
 * the API's facades ({@code Model}, ...) → the internals → the API's exceptions and plain values (checked by a test).
 * The module calls native code through {@code java.lang.foreign}; run with
 * {@code --enable-native-access=dev.moe4j} (module path) or {@code --enable-native-access=ALL-UNNAMED} (class path)
 * to silence the JDK's warning.
 */
module dev.moe4j {
    requires org.slf4j;
    // nullness annotations (@NullMarked, @Nullable) in the API's signatures: static, as nothing needs them at run time;
    // transitive, so that modules compiling against this one read them (as JUnit's modules do)
    requires static transitive org.jspecify;
    requires jdk.management; // container-aware physical memory, for the automatic memory budget
    requires jdk.unsupported; // com.sun.nio.file.ExtendedOpenOption.DIRECT: expert reads that bypass the page cache

    exports dev.moe4j;
    exports dev.moe4j.tooling;
}
