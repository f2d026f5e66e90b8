/**
 * Byte-level BPE tokenization for DeepSeek models (and the GPT-2 / Llama 3 / Qwen2 family), identical in its ids to
 * HF {@code tokenizers} and llama.cpp.
 *
 * <p>Entry points: {@link dev.moe4j.internal.tokenizer.GgufTokenizerLoader} (from a model's GGUF metadata),
 * {@link dev.moe4j.internal.tokenizer.HfTokenizerLoader} (from a {@code tokenizer.json}) or
 * {@link dev.moe4j.internal.tokenizer.Tokenizer#create} (from plain {@link dev.moe4j.internal.tokenizer.Vocabulary}
 * data); then {@link dev.moe4j.internal.tokenizer.Tokenizer#encode}, {@link dev.moe4j.internal.tokenizer.Tokenizer#decode}
 * and {@link dev.moe4j.internal.tokenizer.Tokenizer#newStreamDecoder} for generated tokens. The algorithm is described in
 * shared/spec/tokenizer.md.
 */
package dev.moe4j.internal.tokenizer;
