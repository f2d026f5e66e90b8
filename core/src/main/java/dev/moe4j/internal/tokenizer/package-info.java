/**
 * Tokenization for the supported model families, identical in its ids to HF {@code tokenizers} and llama.cpp:
 * byte-level BPE (DeepSeek, and the GPT-2 / Llama 3 / Qwen2 family; GGUF {@code tokenizer.ggml.model = "gpt2"}) and
 * SentencePiece-style BPE by scores with byte fallback (Llama 2, Mistral/Mixtral, Phi-3; GGUF {@code "llama"}).
 *
 * <p>Entry points: {@link dev.moe4j.internal.tokenizer.GgufTokenizerLoader} (from a model's GGUF metadata),
 * {@link dev.moe4j.internal.tokenizer.HfTokenizerLoader} (from a byte-level BPE {@code tokenizer.json}) or
 * {@link dev.moe4j.internal.tokenizer.Tokenizer#create} (from plain {@link dev.moe4j.internal.tokenizer.Vocabulary} or
 * {@link dev.moe4j.internal.tokenizer.SentencePieceVocabulary} data); then
 * {@link dev.moe4j.internal.tokenizer.Tokenizer#encode}, {@link dev.moe4j.internal.tokenizer.Tokenizer#decode}
 * and {@link dev.moe4j.internal.tokenizer.Tokenizer#newStreamDecoder} for generated tokens. The algorithm is described in
 * shared/spec/tokenizer.md.
 */
package dev.moe4j.internal.tokenizer;
