package dev.moe4j.internal.model;

/**
 * The facts about a loaded model that callers above the forward pass need.
 *
 * @param architecture     {@code general.architecture}, e.g. {@code deepseek2}
 * @param name             {@code general.name}, or the empty string
 * @param vocabSize        rows of the output projection = length of a logits row
 * @param contextLength    context length the model was trained for ({@code <arch>.context_length}); a state may not be
 *                         larger
 * @param embeddingLength  hidden size
 * @param layerCount       transformer blocks
 * @param bosTokenId       {@code tokenizer.ggml.bos_token_id}, or -1 when the file has none
 * @param eosTokenId       {@code tokenizer.ggml.eos_token_id}, or -1 when the file has none
 * @param kvBytesPerToken  KV-cache bytes one token takes in one state, over all layers
 */
public record ModelConfig(String architecture, String name, int vocabSize, int contextLength, int embeddingLength,
                          int layerCount, int bosTokenId, int eosTokenId, long kvBytesPerToken) {
}
