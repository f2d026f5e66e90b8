/**
 * moe4j's public API: load a GGUF language model (Mixture-of-Experts or dense) and generate text with it, in process.
 *
 * <h2>Entry points</h2>
 * <ul>
 * <li>{@link dev.moe4j.Model#load(java.nio.file.Path)} or {@link dev.moe4j.Model#builder(java.nio.file.Path)} (threads,
 *     context length, memory budgets, concurrency, executor, prompt cache, routing profile, load progress) gives a
 *     {@link dev.moe4j.Model};</li>
 * <li>a {@link dev.moe4j.GenerationRequest} is one generation, the same type whatever its prompt:
 *     {@link dev.moe4j.Model#request(String)} (plain text or token ids), {@link dev.moe4j.Model#chat(java.util.List)}
 *     (a conversation of {@link dev.moe4j.ChatMessage}s through the model's chat template),
 *     {@link dev.moe4j.Model#infill(InfillInput)} (code completion with the model's FIM tokens) or
 *     {@link dev.moe4j.ChatSession#request(String)}; options are set on it or given as an immutable
 *     {@link dev.moe4j.GenerationOptions}; it runs blocking ({@code generate}), as a pull stream ({@code events}),
 *     as a future ({@code submit}) or as a {@link java.util.concurrent.Flow.Publisher} ({@code publisher}), and
 *     always gives a {@link dev.moe4j.GenerationResult};</li>
 * <li>{@link dev.moe4j.Model#newChat()} (or {@link dev.moe4j.Model#chatSession()}, a builder) gives a
 *     {@link dev.moe4j.ChatSession}, which keeps a conversation and its KV cache between turns;</li>
 * <li>{@link dev.moe4j.ModelInfo#read(java.nio.file.Path)} describes a file without loading it.</li>
 * </ul>
 * Reasoning models' thinking comes back apart from the answer ({@link dev.moe4j.GenerationResult#reasoning()}). Text
 * from a user (message contents, prompts, code) is never parsed into control tokens.
 *
 * <h2>Lifecycle</h2>
 * A {@code Model} and a {@code ChatSession} hold native memory and threads: close them ({@code try}-with-resources).
 * Closing a model refuses new work at once and frees it when its last generation and session end. Nothing is global:
 * two models in one JVM share nothing but the native library, which is loaded once.
 *
 * <h2>Threading and blocking</h2>
 * A {@code Model} is thread-safe. It runs at most {@link dev.moe4j.Model.Builder#maxConcurrentGenerations} generations
 * at once, on one pool of worker threads they share token by token; more wait in a bounded queue
 * ({@link dev.moe4j.ModelBusyException} when it is full). Each keeps what it computed in the model's prompt cache, so a
 * later request that starts the same way computes only the rest. A {@code ChatSession} and a
 * {@code GenerationRequest} belong to one thread at a time. {@code generate}, {@code ChatSession.send} and
 * {@code Model.load} block the calling thread; {@code submit} and {@code publisher} run on the model's executor
 * (virtual threads by default). A generation stops within one token when its {@link dev.moe4j.Cancellation} is
 * cancelled, its future cancelled or timed out, its stream closed, its subscription cancelled or its deadline passes.
 *
 * <h2>Which exceptions to catch</h2>
 * Every exception moe4j throws on purpose is unchecked and extends {@link dev.moe4j.Moe4jException}:
 * <ul>
 * <li>{@link dev.moe4j.ModelFormatException}: the file is not a GGUF model moe4j can run (it names the key or tensor
 *     and the file offset); thrown by loading and by {@code ModelInfo.read}, never later during generation;</li>
 * <li>{@link dev.moe4j.NativeLibraryException}: {@code -Dmoe4j.backend=cpu} or {@code cuda} asks for native kernels
 *     that cannot be loaded on this platform (by default such a platform runs the plain-Java kernels, much slower, with
 *     a WARN log line);</li>
 * <li>{@link dev.moe4j.ContextLengthExceededException}: a prompt or conversation does not fit in the context;</li>
 * <li>{@link dev.moe4j.UnsafePromptException}: a chat message would turn into control tokens through the template;</li>
 * <li>{@link dev.moe4j.ModelBusyException}: the model's queue of waiting generations is full (try again later);</li>
 * <li>{@link dev.moe4j.KernelException}: a native kernel returned an error status (the message names the call);</li>
 * <li>{@code Moe4jException} itself: other refused input (a chat template that does not compile, a malformed routing
 *     profile).</li>
 * </ul>
 * Besides these: {@link IllegalArgumentException} for an argument that is out of range, thrown at once by the builder
 * or method that takes it; {@link IllegalStateException} for a closed model or session; {@link
 * java.io.UncheckedIOException} when a file cannot be read; {@link UnsupportedOperationException} for infill on a model
 * without FIM tokens. Methods say which of these they throw.
 *
 * <h2>Logging and output</h2>
 * The library writes nothing to stdout or stderr; it logs through SLF4J (one line at INFO per model load).
 *
 * <h2>Nullness</h2>
 * The package is {@link NullMarked}: parameters, return values and type arguments are never null unless marked
 * {@link org.jspecify.annotations.Nullable} (JSpecify). Absent values are {@link java.util.Optional}s or empty strings.
 */
@NullMarked
package dev.moe4j;

import org.jspecify.annotations.NullMarked;
