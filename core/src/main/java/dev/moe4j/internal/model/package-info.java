/**
 * Model architectures and their forward passes.
 *
 * <p>{@link dev.moe4j.internal.model.LanguageModels#load} reads {@code general.architecture} and builds a
 * {@link dev.moe4j.internal.model.LanguageModel}; a caller makes one {@link dev.moe4j.internal.model.InferenceState}
 * per session (KV cache, scratch, kernel workers) and calls {@code forward} with token ids. An architecture is one class
 * built from shared blocks: {@code Weight} (a shape-checked matrix or stack of matrices viewed in the mapped file),
 * {@code DenseFfn} (SwiGLU), {@code MoeFfn} with a pluggable {@code ExpertRouter} ({@code TopKRouter}: softmax or
 * sigmoid gating, selection bias, group limit, normalisation, scaling), {@code SharedExpert} (optionally sigmoid-gated),
 * and the math of {@code ModelKernels}.
 * <ul>
 * <li>{@code DeepSeek2Model}: Multi-head Latent Attention over a compressed cache ({@code MlaAttention}).</li>
 * <li>{@code LlamaModel} (dense and Mixtral), {@code Qwen2Model}, {@code Qwen3Model}, {@code Qwen2MoeModel},
 *     {@code Qwen3MoeModel}, {@code OlmoeModel}: each a few lines that choose, per layer, the options of the shared
 *     grouped-query-attention decoder {@code DecoderModel} ({@code GqaAttention}: biases, per-head or whole-width q/k
 *     norms, {@code RotaryEmbedding} NORM/NEOX with Llama 3 frequency factors; dense FFN or routed experts).</li>
 * </ul>
 *
 * <p>Numerics: every product goes through {@code ModelKernels}, either the native kernels or the plain-Java reference,
 * so a whole forward pass can be run on both. By default products take llama.cpp's CPU numerics, which keeps MoE routing
 * on llama.cpp's side of near-ties: the native kernels quantize activations to 8 bits and take integer dot products
 * ({@code moe_tensor_matmul_ggml}), the reference rounds activations in Java ({@code GgmlActivationRounding});
 * {@link dev.moe4j.internal.model.ModelOptions.ActivationRounding#NONE} keeps f32 activations instead.
 *
 * <p>Debugging: {@link dev.moe4j.internal.model.ForwardObserver} receives intermediate tensors under llama.cpp's
 * eval-callback names, so a run can be compared op by op with {@code llama-eval-callback} output.
 */
package dev.moe4j.internal.model;
