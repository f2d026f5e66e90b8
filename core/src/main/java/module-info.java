/**
 * moe4j: Mixture-of-Experts language models inside the JVM.
 *
 * <p>Only {@code dev.moe4j} is API. Everything under {@code dev.moe4j.internal} may change in any release.
 * The module calls native code through {@code java.lang.foreign}; run with
 * {@code --enable-native-access=dev.moe4j} (module path) or {@code --enable-native-access=ALL-UNNAMED} (class path)
 * to silence the JDK's warning.
 */
module dev.moe4j {
    requires org.slf4j;
    requires jdk.management; // container-aware physical memory, for the automatic memory budget
    requires jdk.unsupported; // com.sun.nio.file.ExtendedOpenOption.DIRECT: expert reads that bypass the page cache

    exports dev.moe4j;
}
