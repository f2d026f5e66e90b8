/**
 * The GGUF reader: {@link dev.moe4j.internal.gguf.GgufFile} maps and validates a model file (or a split model),
 * {@link dev.moe4j.internal.gguf.GgufMetadata} gives typed access to its key/value metadata and
 * {@link dev.moe4j.internal.gguf.GgufTensor} gives zero-copy access to each tensor. Everything a file claims is
 * checked before it is used; a bad file ends in {@link dev.moe4j.ModelFormatException}. Format:
 * shared/spec/gguf-format.md.
 */
package dev.moe4j.internal.gguf;
