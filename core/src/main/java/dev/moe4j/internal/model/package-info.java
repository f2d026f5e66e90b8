/**
 * The one transformer every model family runs on, and its parts.
 *
 * <p>{@link dev.moe4j.internal.model.LanguageModels#load} reads {@code general.architecture}, finds the family in
 * {@link dev.moe4j.internal.model.arch.Architectures} and loads a {@link dev.moe4j.internal.model.Transformer}; a caller
 * makes one {@link dev.moe4j.internal.model.InferenceState} per sequence (its caches and a workspace) and calls
 * {@code forward} with token ids, or {@code forwardBatch} with the steps of several sequences at once; each call borrows
 * one of the model's kernel sets (worker thread pools, {@code ModelOptions.workerGroups} of them) for its duration.
 *
 * <p>The forward pass ({@code Transformer}) is written once: embed, then per {@link dev.moe4j.internal.model.Block}
 * {@code h += attn(RMSNorm(h)); h += ffn(RMSNorm(h))}, then the output head. A family (one file in {@code arch/})
 * chooses the parts of each block and names their tensors:
 * <ul>
 * <li>attention: {@code GqaAttention} (grouped-query; optional biases, per-head or whole-width q/k norms, partial
 *     rotary, sinks, a sliding window) or {@code MlaAttention} (DeepSeek's latent attention, absorbed); each owns the
 *     layout of its per-sequence cache;</li>
 * <li>feed-forward: {@code DenseFfn} (SwiGLU) or {@code MoeFfn} (a router, {@code TopKRouter}: softmax, sigmoid or
 *     softmax-over-the-chosen gating, selection bias, group limit, normalisation, scaling; expert biases; SwiGLU or the
 *     clamped SwiGLU; optional {@code SharedExpert}s, optionally sigmoid-gated);</li>
 * <li>what every family shares is read once by {@code HyperParams}; routed-expert tensor names are defined once by
 *     {@code ExpertTensorNames}; the experts' store, routing listener and prefetch reach the MoE parts through the
 *     {@code ExpertWiring} they are built with.</li>
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
