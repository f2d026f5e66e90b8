/**
 * Model architectures and their forward passes.
 *
 * <p>{@link dev.moe4j.internal.model.LanguageModels#load} reads {@code general.architecture} and builds a
 * {@link dev.moe4j.internal.model.LanguageModel}; a caller makes one {@link dev.moe4j.internal.model.InferenceState}
 * per session (KV cache, scratch, kernel workers) and calls {@code forward} with token ids. An architecture is one class
 * (today {@code DeepSeek2Model}) built from shared blocks: {@code Weight} (a shape-checked matrix or stack of matrices
 * viewed in the mapped file), {@code DenseFfn} (SwiGLU), {@code MoeFfn} with a pluggable {@code ExpertRouter}
 * ({@code TopKRouter}: softmax or sigmoid gating, selection bias, group limit, normalisation, scaling), and the math of
 * {@code ModelKernels}.
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
