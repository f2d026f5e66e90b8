/**
 * moe4j's public API: load a GGUF language model (Mixture-of-Experts or dense) and generate text with it, in process.
 *
 * <h2>Entry points</h2>
 * <ul>
 * <li>{@link dev.moe4j.Model#load(java.nio.file.Path)} or {@link dev.moe4j.Model#builder(java.nio.file.Path)} (threads,
 *     context length, memory budgets, routing profile, load progress) gives a {@link dev.moe4j.Model};</li>
 * <li>{@link dev.moe4j.Model#request(String)} builds one generation ({@link dev.moe4j.GenerationRequest}: sampling,
 *     limits, stop strings, cancellation) that runs blocking ({@code generate}), streaming ({@code stream},
 *     {@code tokens}) or on another thread ({@code start});</li>
 * <li>{@link dev.moe4j.Model#newChat()} (or {@link dev.moe4j.Model#chat()}, a builder) gives a
 *     {@link dev.moe4j.ChatSession}, which
 *     renders turns through the model's chat template and keeps its KV cache between turns; reasoning models'
 *     thinking comes back apart from the answer;</li>
 * <li>{@link dev.moe4j.ModelInfo#read(java.nio.file.Path)} describes a file without loading it.</li>
 * </ul>
 *
 * <h2>Lifecycle</h2>
 * A {@code Model} and a {@code ChatSession} hold native memory and threads: close them ({@code try}-with-resources).
 * Closing a model refuses new work at once and frees it when its last generation and session end. Nothing is global:
 * two models in one JVM share nothing but the native library, which is loaded once.
 *
 * <h2>Threading and blocking</h2>
 * A {@code Model} is thread-safe; each generation and each chat session runs on its own inference state, so several
 * threads generate in parallel. A {@code ChatSession} and a {@code GenerationRequest} belong to one thread at a time.
 * {@code generate}, {@code stream}, {@code ChatSession.send} and {@code Model.load} block the calling thread;
 * {@link dev.moe4j.Cancellation#cancel()} from any thread stops a generation within one token.
 *
 * <h2>Which exceptions to catch</h2>
 * Every exception moe4j throws on purpose is unchecked and extends {@link dev.moe4j.Moe4jException}:
 * <ul>
 * <li>{@link dev.moe4j.ModelFormatException}: the file is not a GGUF model moe4j can run (it names the key or tensor
 *     and the file offset); thrown by loading and by {@code ModelInfo.read}, never later during generation;</li>
 * <li>{@link dev.moe4j.NativeLibraryException}: the native kernels cannot be loaded on this platform;</li>
 * <li>{@link dev.moe4j.ContextLengthExceededException}: a prompt or conversation does not fit in the context;</li>
 * <li>{@link dev.moe4j.UnsafePromptException}: a chat message would turn into control tokens through the template;</li>
 * <li>{@link dev.moe4j.KernelException}: a native kernel returned an error status (the message names the call);</li>
 * <li>{@code Moe4jException} itself: other refused input (a chat template that does not compile, a malformed routing
 *     profile).</li>
 * </ul>
 * Besides these: {@link IllegalArgumentException} for an argument that is out of range, thrown at once by the builder
 * or method that takes it; {@link IllegalStateException} for a closed model or session; {@link
 * java.io.UncheckedIOException} when a file cannot be read. Methods say which of these they throw.
 *
 * <h2>Logging and output</h2>
 * The library writes nothing to stdout or stderr; it logs through SLF4J (one line at INFO per model load).
 */
package dev.moe4j;
