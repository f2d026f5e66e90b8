/**
 * Tooling API: small facades over moe4j's internals for command-line tools, benchmarks and tests (the moe4j CLI is
 * built on it): reading and writing GGUF files ({@link dev.moe4j.tooling.GgufReader},
 * {@link dev.moe4j.tooling.GgufFileWriter}, {@link dev.moe4j.tooling.TensorType}), tokenizing without loading weights
 * ({@link dev.moe4j.tooling.TextTokenizer}), rendering chat templates ({@link dev.moe4j.tooling.ChatTemplateRenderer})
 * and driving a model's bare forward pass ({@link dev.moe4j.tooling.RawModel}).
 *
 * <p><b>Stability.</b> Weaker than {@code dev.moe4j}'s: this package follows the engine and may change in any minor
 * release, without deprecation. Applications that run models use {@link dev.moe4j.Model}; this package is for tools
 * that need to see below it. Its types never appear in the {@code dev.moe4j} API, and the internals never use them.
 *
 * <p>Errors are reported with the public exception types ({@link dev.moe4j.ModelFormatException} for a malformed
 * file, {@link dev.moe4j.Moe4jException} and its subclasses otherwise) and {@link IllegalArgumentException} for bad
 * arguments, as in {@code dev.moe4j}.
 *
 * <p><b>Nullness.</b> The package is {@link NullMarked}: parameters, return values and type arguments are never null
 * unless marked {@link org.jspecify.annotations.Nullable} (JSpecify).
 */
@NullMarked
package dev.moe4j.tooling;

import org.jspecify.annotations.NullMarked;
